"""The review view: every annotator's layer of an article, their disagreements, and the
gold layer built from them. Curators and managers only.

Two views of the same review: the text once, with a lane of units per layer under
each line (`views/curation.py`, the default), and a table of every layer's units and
relations (`?view=table`), for keyboard and screen-reader users. Every action answers
with the `review` region in the view it was taken from (gold and every layer's lanes
or rows change together), or, without HTMX, with the whole page.
"""

from collections.abc import Callable

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils.text import Truncator
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from annotate import access, review
from annotate.forms import MajorityForm
from annotate.models import Article, Membership
from annotate.units import AnnotationError, NotFoundError
from annotate.views import curation, render_partial

PAGE = "annotate/review.html"
LANES, TABLE = "lanes", "table"


def curated_article(request: HttpRequest, slug: str, pk: int) -> tuple[Membership, Article]:
    membership = access.curator_membership(request.user, slug)
    return membership, get_object_or_404(access.articles(membership), pk=pk)


def respond(
    request: HttpRequest,
    membership: Membership,
    article: Article,
    *,
    form=None,
    notice="",
    status=200,
    question: dict | None = None,
    opening: bool = False,
) -> HttpResponse:
    """The review region, read afresh from the database after every action. A notice
    with a status of 400 or more says what was refused (nothing changed); `question`
    offers the choices of an adoption that overlaps gold. `opening`: the whole page,
    which does not wait for the model to tag the article for gold (it asks for the
    region again once it is shown)."""
    data = review.load(article)
    view = TABLE if request.GET.get("view") == TABLE else LANES
    ghosts = curation.suggested(data, defer_model=opening)
    lines = curation.lines(data, ghosts.units if ghosts is not None else None) if view == LANES else []
    slug = membership.project.slug
    curation.draw(
        lines,
        finished=data.finished,
        adopt_url=adopt_urls(slug, article),
        suggestion_url=suggestion_urls(slug, article),
    )
    context = {
        "membership": membership,
        "project": membership.project,
        "article": article,
        "review": data,
        "view": view,
        "view_query": f"?view={TABLE}" if view == TABLE else "",
        "lines": lines,
        "labels": curation.labels(data, ghosts.units if ghosts else []) if view == LANES else [],
        "suggesting": membership.project.suggestions,
        "ghosts": ghosts,
        "form": form or MajorityForm(annotators=len(data.annotators)),
        "notice": notice,
        "tone": "warning" if question else "error" if status >= 400 else "success",
        "question": question,
    }
    return render_partial(request, PAGE, "review", context, status=status)


def _by_id(route: str, slug: str, article: Article) -> Callable[[int], str]:
    """The address of `route` for `article` and an id, reversed once (the lanes have a
    button per unit and per suggestion)."""
    placeholder = str(2**31 - 1)
    head, tail = reverse(route, args=[slug, article.pk, placeholder]).rsplit(placeholder, 1)
    return lambda pk: f"{head}{pk}{tail}"


def adopt_urls(slug: str, article: Article) -> Callable[[int], str]:
    """The address that adopts a unit of `article`, by the unit's id."""
    return _by_id("annotate:review_adopt", slug, article)


def suggestion_urls(slug: str, article: Article) -> Callable[[int, str], str]:
    """The addresses that accept and reject one of gold's suggestions, by its id and
    "accept" or "reject"."""
    made = {action: _by_id(f"annotate:review_suggestion_{action}", slug, article) for action in ("accept", "reject")}
    return lambda suggestion_id, action: made[action](suggestion_id)


@never_cache  # Back from the gold workspace must show gold as it is now, not as first loaded
@require_GET
@login_required
def article_review(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    membership, article = curated_article(request, slug, pk)
    return respond(request, membership, article, opening=not request.htmx)


def short(quote: str) -> str:
    """A quote cut to 60 characters, with an ellipsis where it was cut."""
    return Truncator(quote).chars(60)


def adoption_notice(adoption: review.Adoption) -> str:
    """What an adoption did, in words: “Claim “…” adopted, with 1 relation.”"""
    what = f"{adoption.unit.label.name} “{short(adoption.quote)}”"
    if adoption.replaced:
        olds = ", ".join(f"“{short(quote)}”" for quote in adoption.replaced)
        notice = f"{what} replaced {olds} in gold"
    else:
        notice = f"{what} {'adopted' if adoption.created else 'was already in gold'}"
    if adoption.restated:
        given = ", ".join(f"{name} {value}" for name, value in adoption.unit.attributes.items())
        notice += f" and now has {given or 'no attributes'}"
    counts = [(len(adoption.relations), "")]
    if adoption.replaced:
        counts = [
            (adoption.carried, " carried over"),
            (adoption.dropped, " dropped"),
            (len(adoption.relations), " added"),
        ]
    said = [f"{n} relation{pluralize(n)}{how}" for n, how in counts if n]
    if said:
        notice += ", with " + " and ".join(said)
    return notice + "."


@require_POST
@login_required
def review_adopt(request: HttpRequest, slug: str, pk: int, unit_pk: int) -> HttpResponse:
    """Adopt one annotator's unit into gold, with its relations whose other unit gold
    has. `overlap` ("replace" or "add") answers the question asked when gold has an
    overlapping unit of the same label."""
    membership, article = curated_article(request, slug, pk)
    try:
        unit = review.annotator_unit(article, unit_pk)
    except NotFoundError as error:
        raise Http404(str(error)) from error
    try:
        adoption = review.adopt_unit(unit=unit, user=request.user, overlap=request.POST.get("overlap", review.ASK))
    except review.OverlapError as error:
        question = {"unit": unit, "count": len(error.overlapping), "owner": unit.layer.owner_name}
        return respond(request, membership, article, notice=str(error), status=422, question=question)
    except AnnotationError as error:
        return respond(request, membership, article, notice=str(error), status=422)
    return respond(request, membership, article, notice=adoption_notice(adoption))


def decide_suggestion(request: HttpRequest, slug: str, pk: int, suggestion_pk: int, *, adopt: bool) -> HttpResponse:
    """Adopt one of gold's suggestions into gold, or reject it; refused (422, with the
    review as it is now) when it is no longer there or curation is finished."""
    membership, article = curated_article(request, slug, pk)
    decide = review.adopt_suggestion if adopt else review.reject_suggestion
    try:
        decision = decide(article=article, suggestion_id=suggestion_pk, user=request.user)
    except AnnotationError as error:
        return respond(request, membership, article, notice=str(error), status=422)
    done = "adopted into gold" if adopt else "rejected: it is not suggested again"
    return respond(request, membership, article, notice=f"Suggested {decision.what} {done}.")


@require_POST
@login_required
def review_suggestion_accept(request: HttpRequest, slug: str, pk: int, suggestion_pk: int) -> HttpResponse:
    return decide_suggestion(request, slug, pk, suggestion_pk, adopt=True)


@require_POST
@login_required
def review_suggestion_reject(request: HttpRequest, slug: str, pk: int, suggestion_pk: int) -> HttpResponse:
    return decide_suggestion(request, slug, pk, suggestion_pk, adopt=False)


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
    if result.left_out:
        n = result.left_out
        notice += f" Left out: {n} unit{pluralize(n)} overlapping a gold unit of the same label (adopt one on its own)."
    if result.split:
        n = result.split
        notice += (
            f" Left out: {n} unit{pluralize(n)} whose stance or other attributes no majority agreed on"
            " (adopt the one you choose on its own)."
        )
    if result.wordless:
        n = result.wordless
        notice += f" Left out: {n} unit{pluralize(n)} with no letter or digit, which gold does not take."
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


@require_POST
@login_required
def review_reopen(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Reopen finished curation, so that gold can be adopted into and edited again."""
    membership, article = curated_article(request, slug, pk)
    if review.reopen_curation(article=article, user=request.user):
        return respond(request, membership, article, notice="Curation reopened: gold can be changed again.")
    return respond(request, membership, article, notice="Curation is not finished: there is nothing to reopen.")
