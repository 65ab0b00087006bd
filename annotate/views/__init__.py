"""Thin views: parse input, check access, call one domain function, render."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def render_partial(
    request: HttpRequest, template: str, partial: str, context: dict, *, status: int = 200
) -> HttpResponse:
    """An HTMX request gets the named partial, a plain request the whole page."""
    name = f"{template}#{partial}" if request.htmx else template
    return render(request, name, context, status=status)
