"""The review view: every annotator's layer of an article, their disagreements, and the
gold layer built from them. Curators and managers only.

Every action answers with the `review` region (gold and every layer's rows change
together), or, without HTMX, with the whole page.
"""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.defaultfilters import pluralize
from django.views.decorators.http import require_GET, require_POST

from annotate import access, review
from annotate.forms import MajorityForm
from annotate.models import Article, Membership
from annotate.units import AnnotationError
from annotate.views import render_partial

PAGE = "annotate/review.html"


def curated_article(request: HttpRequest, slug: str, pk: int) -> tuple[Membership, Article]:
    membership = access.curator_or_404(request.user, slug)
    return membership, get_object_or_404(access.articles(membership), pk=pk)


def respond(
    request: HttpRequest, membership: Membership, article: Article, *, form=None, notice="", status=200
) -> HttpResponse:
    data = review.load(article)
    context = {
        "membership": membership,
        "project": membership.project,
        "article": article,
        "review": data,
        "form": form or MajorityForm(annotators=len(data.annotators)),
        "notice": notice,
    }
    return render_partial(request, PAGE, "review", context, status=status)


@require_GET
@login_required
def article_review(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    membership, article = curated_article(request, slug, pk)
    return respond(request, membership, article)


@require_POST
@login_required
def review_adopt(request: HttpRequest, slug: str, pk: int, unit_pk: int) -> HttpResponse:
    """Adopt one annotator's unit into gold, with its relations whose other unit gold has."""
    membership, article = curated_article(request, slug, pk)
    adoption = review.adopt_unit(unit=review.annotator_unit(article, unit_pk), user=request.user)
    what = f"{adoption.unit.label.name} “{adoption.quote[:60]}”"
    notice = f"{what} {'adopted' if adoption.created else 'was already in gold'}"
    if adoption.relations:
        notice += f", with {len(adoption.relations)} relation{pluralize(len(adoption.relations))}"
    return respond(request, membership, article, notice=notice + ".")


@require_POST
@login_required
def review_majority(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Adopt everything at least the chosen number of annotators agree on."""
    membership, article = curated_article(request, slug, pk)
    form = MajorityForm(request.POST, annotators=article.layers.annotator_layers().count())
    if not form.is_valid():
        return respond(request, membership, article, form=form, status=422)
    minimum = form.cleaned_data["minimum"]
    try:
        result = review.adopt_majority(article=article, user=request.user, minimum=minimum)
    except AnnotationError as error:
        return respond(request, membership, article, form=form, notice=str(error), status=422)
    notice = (
        f"Adopted {result.units} unit{pluralize(result.units)} and {result.relations} "
        f"relation{pluralize(result.relations)} that at least {minimum} annotator{pluralize(minimum)} agreed on."
    )
    return respond(request, membership, article, notice=notice)


@require_POST
@login_required
def review_gold(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Open the gold layer in the workspace, starting it if there is none yet."""
    _, article = curated_article(request, slug, pk)
    gold = review.start_gold(article=article, user=request.user)
    return redirect("annotate:layer_detail", slug, gold.pk)


@require_POST
@login_required
def review_finish(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    membership, article = curated_article(request, slug, pk)
    review.finish_curation(article=article, user=request.user)
    return respond(request, membership, article, notice="Curation finished: the gold layer is marked finished.")
