"""The annotation workspace: one layer of one article, changed one action at a time.

Every change is a POST that carries the layer revision the page shows. It answers
with the new revision and the lines of the text the change touched, swapped in by
their ids, and the `layer-changed` event (the unit panel follows it), or, for bad
input, with a message shown above the text and nothing changed.
"""

import json
from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET, require_POST

from annotate import access, history, relations, units, workspace
from annotate.forms import (
    DocumentStanceForm,
    FinishForm,
    LayerChangeForm,
    RelationCreateForm,
    SpanEditForm,
    UnitAttributeForm,
    UnitCreateForm,
    UnitLabelForm,
)
from annotate.models import Layer, Membership
from annotate.views import render_partial

PAGE = "annotate/layer_detail.html"


def readable_layer(membership: Membership, pk: int) -> Layer:
    layers = access.layers(membership).select_related("article__project", "annotator")
    return get_object_or_404(layers, pk=pk)


def change_context(layer: Layer) -> dict:
    """The answer to the changes just made through `layer`: the new revision, and the
    lines of the text they touched, redrawn (none when they touched no unit's spans,
    label or attributes: a relation, a document stance)."""
    stretch = workspace.changed_stretch(layer)
    lines = workspace.lines_html(layer, stretch) if stretch else ""
    return {"layer": layer, "changed_lines": lines}


def page_context(membership: Membership, layer: Layer, **extra) -> dict:
    editable = access.can_edit(membership, layer)
    ws = workspace.load(layer)
    return {
        "membership": membership,
        "project": membership.project,
        "layer": layer,
        "article": layer.article,
        "editable": editable,
        "ws": ws,
        # The panel's rows, built in Python (annotate/panel.py) for speed.
        "unit_rows": ws.unit_rows(editable=editable),
        "relation_rows": ws.relation_rows(editable=editable),
        **extra,
    }


@require_GET
@login_required
def layer_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    membership = access.membership_or_404(request.user, slug)
    layer = readable_layer(membership, pk)
    workspace.open_layer(layer=layer, user=request.user)
    return render(request, PAGE, page_context(membership, layer))


@require_GET
@login_required
def layer_panel(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    membership = access.membership_or_404(request.user, slug)
    layer = readable_layer(membership, pk)
    return render(request, f"{PAGE}#unit-panel", page_context(membership, layer))


@require_GET
@login_required
def layer_outline(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    membership = access.membership_or_404(request.user, slug)
    layer = readable_layer(membership, pk)
    return render(request, "annotate/layer_outline.html", page_context(membership, layer))


def message(request: HttpRequest, text: str, *, status: int) -> HttpResponse:
    """A refusal, shown where the annotator is looking (above the text)."""
    response = render(request, "annotate/_workspace_message.html", {"text": text}, status=status)
    response["HX-Retarget"] = "#workspace-message"
    response["HX-Reswap"] = "innerHTML"
    return response


def form_errors(form) -> str:
    return " ".join(str(error) for errors in form.errors.values() for error in errors)


def layer_action(action: Callable[..., int | None]) -> Callable[..., HttpResponse]:
    """Run `action(request, layer)` on an editable layer in one transaction; answer with
    the lines it changed and the `layer-changed` event (naming the unit the action made or
    changed, for the page to keep it chosen), or with a message and no change."""

    @wraps(action)
    @require_POST
    @login_required
    def view(request: HttpRequest, slug: str, pk: int, **kwargs) -> HttpResponse:
        try:
            with transaction.atomic():
                layer = access.layer_to_change(request.user, slug, pk)
                unit_id = action(request, layer, **kwargs)
        except workspace.StaleError as error:
            return message(request, str(error), status=409)
        except units.AnnotationError as error:
            return message(request, str(error), status=422)
        except Http404 as error:
            return message(request, str(error), status=404)
        response = render(request, f"{PAGE}#text-change", change_context(layer))
        response["HX-Trigger"] = json.dumps({"layer-changed": {"unit": unit_id}})
        return response

    return view


def valid(form) -> dict:
    """The form's cleaned data, with the revision checked against the layer's."""
    if not form.is_valid():
        raise units.AnnotationError(form_errors(form))
    return form.cleaned_data


def own_unit(layer: Layer, pk: int):
    unit = layer.units.select_related("label").filter(pk=pk).first()
    if unit is None:
        raise Http404("That unit is not in this layer (it may have been deleted in another tab). Reload the page.")
    return unit


def checked(layer: Layer, form) -> dict:
    data = valid(form)
    workspace.check_revision(layer, data["revision"])
    return data


@layer_action
def unit_create(request: HttpRequest, layer: Layer) -> int | None:
    article = layer.article
    project = article.project
    form = UnitCreateForm(
        request.POST, text=article.text, snapping=project.snapping, labels=workspace.project_labels(project)
    )
    data = checked(layer, form)
    return units.create_unit(layer=layer, label=data["label"], spans=[data["span"]], user=request.user).pk


@layer_action
def unit_label(request: HttpRequest, layer: Layer, unit_pk: int) -> int | None:
    data = checked(layer, UnitLabelForm(request.POST, labels=workspace.project_labels(layer.article.project)))
    return units.update_unit(unit=own_unit(layer, unit_pk), label=data["label"], user=request.user).pk


@layer_action
def unit_attribute(request: HttpRequest, layer: Layer, unit_pk: int) -> int | None:
    data = checked(layer, UnitAttributeForm(request.POST))
    unit = own_unit(layer, unit_pk)
    return units.update_unit(unit=unit, attributes={data["name"]: data["value"]}, user=request.user).pk


@layer_action
def unit_spans(request: HttpRequest, layer: Layer, unit_pk: int) -> int | None:
    article = layer.article
    data = checked(layer, SpanEditForm(request.POST, text=article.text, snapping=article.project.snapping))
    unit = own_unit(layer, unit_pk)
    if data["mode"] == "add":
        units.add_span(unit=unit, span=data["span"], user=request.user)
    else:
        units.update_unit(unit=unit, spans=[data["span"]], user=request.user)
    return unit.pk


@layer_action
def unit_delete(request: HttpRequest, layer: Layer, unit_pk: int) -> int | None:
    checked(layer, LayerChangeForm(request.POST))
    units.delete_unit(unit=own_unit(layer, unit_pk), user=request.user)
    return None


@layer_action
def relation_create(request: HttpRequest, layer: Layer) -> int | None:
    data = checked(layer, RelationCreateForm(request.POST, project=layer.article.project))
    source, target = own_unit(layer, data["source"]), own_unit(layer, data["target"])
    relations.create_relation(layer=layer, type=data["type"], source=source, target=target, user=request.user)
    return source.pk


@layer_action
def relation_delete(request: HttpRequest, layer: Layer, relation_pk: int) -> int | None:
    checked(layer, LayerChangeForm(request.POST))
    relation = layer.relations.filter(pk=relation_pk).first()
    if relation is None:
        raise Http404("That relation is not in this layer (it may have been deleted in another tab). Reload the page.")
    relations.delete_relation(relation=relation, user=request.user)
    return None


@layer_action
def layer_undo(request: HttpRequest, layer: Layer) -> int | None:
    checked(layer, LayerChangeForm(request.POST))
    history.undo(layer=layer, user=request.user)
    return None


@layer_action
def layer_redo(request: HttpRequest, layer: Layer) -> int | None:
    checked(layer, LayerChangeForm(request.POST))
    history.redo(layer=layer, user=request.user)
    return None


def editable_layer(membership: Membership, pk: int) -> Layer:
    layers = access.editable_layers(membership).select_related("article__project", "annotator")
    return get_object_or_404(layers, pk=pk)


@require_POST
@login_required
def layer_finish(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Mark the layer finished, or show what the structure checks found first."""
    membership = access.membership_or_404(request.user, slug)
    layer = editable_layer(membership, pk)
    form = FinishForm(request.POST)
    confirmed = form.is_valid() and form.cleaned_data["confirmed"]
    findings = workspace.finish_layer(layer=layer, user=request.user, confirmed=confirmed)
    context = page_context(membership, layer, findings=findings, finish_asked=True)
    context["finding_rows"] = context["ws"].explain(findings)
    return render_partial(request, PAGE, "layer-bar", context)


@require_POST
@login_required
def layer_reopen(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    membership = access.membership_or_404(request.user, slug)
    layer = editable_layer(membership, pk)
    workspace.reopen_layer(layer=layer, user=request.user)
    return render_partial(request, PAGE, "layer-bar", page_context(membership, layer))


@require_POST
@login_required
def layer_stance(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    membership = access.membership_or_404(request.user, slug)
    layer = editable_layer(membership, pk)
    form = DocumentStanceForm(request.POST)
    try:
        workspace.set_document_stance(layer=layer, stance=valid(form)["stance"], user=request.user)
    except units.AnnotationError as error:
        return message(request, str(error), status=422)
    return render_partial(request, PAGE, "layer-bar", page_context(membership, layer))
