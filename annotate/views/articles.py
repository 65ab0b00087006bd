from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from annotate import access, article_lists, projects
from annotate.formats.records import ArticleRecord
from annotate.forms import ArticleForm


@require_GET
@login_required
def article_list(request: HttpRequest, slug: str) -> HttpResponse:
    """The member's articles, searched, filtered, sorted and paged as the query string
    asks (`annotate.article_lists`). A filter or page link that cannot be read answers
    400 with the first page of everything and a message saying what was not read."""
    membership = access.membership_or_404(request.user, slug)
    listing = article_lists.article_list(membership, request.GET)
    for problem in listing.problems:
        messages.error(request, problem)
    context = {"membership": membership, "project": membership.project, "listing": listing}
    return render(request, "annotate/article_list.html", context, status=400 if listing.problems else 200)


@require_GET
@login_required
def article_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    membership = access.membership_or_404(request.user, slug)
    article = get_object_or_404(access.articles(membership), pk=pk)
    layers = list(access.layers(membership).filter(article=article).select_related("annotator"))
    own = next((layer for layer in layers if layer.annotator_id == request.user.pk), None)
    if own is not None:
        return redirect("annotate:layer_detail", membership.project.slug, own.pk)
    context = {"membership": membership, "project": membership.project, "article": article, "layers": layers}
    return render(request, "annotate/article_detail.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def article_create(request: HttpRequest, slug: str) -> HttpResponse:
    membership = access.membership_or_404(request.user, slug, roles=access.MANAGERS)
    form = ArticleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        record = ArticleRecord(
            title=data["title"],
            text=data["text"],
            author=data["author"],
            outlet=data["outlet"],
            url=data["url"],
            published=data["published"].isoformat() if data["published"] else "",
        )
        article, created = projects.add_article(project=membership.project, record=record, user=request.user)
        if created:
            messages.success(request, f"Article “{article.title}” added.")
        else:
            messages.warning(request, f"This text is already in the project, as “{article.title}”.")
        return redirect(article)
    context = {"membership": membership, "project": membership.project, "form": form}
    return render(request, "annotate/article_create.html", context, status=422 if form.errors else 200)
