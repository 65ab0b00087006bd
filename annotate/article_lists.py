"""A project's articles as a list a member can search, filter, sort and page through.

The article list, the annotator's own list and the assignment grid are one list:
`ArticleFilter` reads what the page asks for (the query string), `articles_matching`
turns it into a queryset over the articles the member may open, and `ArticleList` pages
it by keyset (`annotate.paging`), so that a page of a project of 20,000 articles costs
what a page of one of 100 does: a fixed number of queries, none reading a text.

Search covers the title and the text (its first `SEARCHED_CHARS` characters): on
PostgreSQL a full-text search (the ``simple`` configuration, so that it works for every
language: words match as written, without stemming; ``websearch`` syntax, so "quoted
phrases", ``or`` and ``-word`` work) over a document the database stores with each
article (migration 0010), indexed; on SQLite (the demo) every word must appear in the
title or the text.

An article's status is that of the annotator chosen in the filter (their layer), or
for an annotator, their own layer; otherwise of the article as a whole: unassigned (no
annotator), not started (no annotator has started), in progress (someone has started,
not everyone has finished), finished (every annotator has finished). "Curated" is
orthogonal: the gold layer is finished (the review's Finish curation); so is "annotators
disagree" (for curators): the agreement figures last computed differ from 1 for it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from django import forms
from django.db import connection
from django.db.models import BooleanField, Exists, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils.http import urlencode

from annotate import access, paging
from annotate.agreement_store import options_code
from annotate.models import AgreementArticle, ArgumentUnit, Article, Layer, Membership, Role

PAGE_SIZE = 50
SEARCHED_CHARS = 200_000
# The search's document: a column the database computes (migration 0010), indexed.
SEARCH_DOCUMENT = "annotate_article.search_document"
# A count that needs a search or a label's units stops here ("more than 1,000"); the
# other filters read counters and indexes, and are counted exactly.
COUNT_LIMIT = 1000

SORTS = {
    "added": ("id",),
    "-added": ("-id",),
    "title": ("title", "id"),
    "-title": ("-title", "-id"),
    "length": ("length", "id"),
    "-length": ("-length", "-id"),
}
SORT_CHOICES = [
    ("added", "Oldest first"),
    ("-added", "Newest first"),
    ("title", "Title A–Z"),
    ("-title", "Title Z–A"),
    ("length", "Shortest first"),
    ("-length", "Longest first"),
]
STATUS_CHOICES = [
    ("", "Any status"),
    *Article.Progress.choices,
    ("unfinished", "Not finished"),
    ("curated", "Curated"),
    ("disagreed", "Annotators disagree"),
]


class ArticleFilter(forms.Form):
    """What a member asks of an article list (all optional; the query string)."""

    q = forms.CharField(required=False, max_length=200, label="Search", strip=True)
    status = forms.ChoiceField(choices=STATUS_CHOICES, required=False)
    annotator = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    label = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    tag = forms.CharField(required=False, max_length=100, strip=True)
    sort = forms.ChoiceField(choices=SORT_CHOICES, required=False)

    def __init__(self, data, *, membership: Membership):
        super().__init__(data)
        self.membership = membership
        project = membership.project
        # The project's annotators, by username (curators choose among them), each with
        # `layers_assigned`, the number of their articles (a counter of their membership).
        self.annotators = []
        if membership.can_curate:
            for member in (
                project.memberships.filter(role=Role.ANNOTATOR).select_related("user").order_by("user__username")
            ):
                member.user.layers_assigned = member.layers_assigned
                member.user.membership_active = member.active
                self.annotators.append(member.user)
        if membership.can_curate:
            self.fields["annotator"].choices = [("", "Any annotator")] + [
                (user.pk, user.username) for user in self.annotators
            ]
        else:
            del self.fields["annotator"]
            # Whether annotators disagree is the others' work: curators' to see.
            self.fields["status"].choices = [c for c in STATUS_CHOICES if c[0] != "disagreed"]
        self.fields["label"].choices = [("", "Any label")] + [(label.pk, label.name) for label in project.scheme_labels]

    @property
    def problems(self) -> list[str]:
        """What could not be read, as messages (the list then shows everything)."""
        fields = self.fields
        return [f"{fields[name].label or name.title()}: {' '.join(errors)}" for name, errors in self.errors.items()]

    def value(self, name: str):
        return self.cleaned_data.get(name) if self.is_valid() else None

    @property
    def order(self) -> tuple[str, ...]:
        return SORTS[self.value("sort") or "added"]

    @property
    def is_filtered(self) -> bool:
        filters = ("q", "status", "annotator", "label", "tag")
        return self.is_valid() and any(self.cleaned_data.get(name) for name in filters)

    def query(self, **replace) -> str:
        """The filter as a query string (without the page), with `replace` applied."""
        values = {name: self.data.get(name, "") for name in self.fields} | replace
        return urlencode({name: value for name, value in values.items() if value})


def articles_matching(membership: Membership, articles_filter: ArticleFilter) -> QuerySet[Article]:
    """The articles `membership` may open that the filter asks for (all of them when it
    does not read)."""
    articles = Article.objects.filter(project=membership.project)
    own = None if membership.can_curate else membership.user_id
    if own is not None:
        articles = articles.filter(Exists(Layer.objects.filter(article=OuterRef("pk"), annotator_id=own)))
    if not articles_filter.is_valid():
        return articles
    data = articles_filter.cleaned_data
    if data["q"]:
        articles = articles.filter(_search(data["q"]))
    if data["tag"]:
        articles = articles.filter(_tagged(data["tag"]))
    annotator = data.get("annotator") or own
    if data["status"]:
        articles = articles.filter(_status(data["status"], annotator, membership.project))
    if data["label"]:
        # In the annotator's layer when there is one (an annotator never sees whether
        # others used a label in a blind project), else in any layer, gold included.
        if annotator is not None:
            # From that annotator's layers (an index away), each asked whether it has a
            # unit of the label (another index), not from every article's units.
            labelled = ArgumentUnit.objects.filter(layer=OuterRef("pk"), label_id=data["label"])
            theirs = Layer.objects.filter(annotator_id=annotator).filter(Exists(labelled))
            articles = articles.filter(pk__in=theirs.values("article_id"))
        else:
            units = ArgumentUnit.objects.filter(layer__article=OuterRef("pk"), label_id=data["label"])
            articles = articles.filter(Exists(units))
    if data.get("annotator") and not data["status"]:
        articles = articles.filter(pk__in=Layer.objects.filter(annotator_id=annotator).values("article_id"))
    return articles


def _search(words: str) -> Q:
    if connection.vendor == "postgresql":
        sql = f"{SEARCH_DOCUMENT} @@ websearch_to_tsquery('simple'::regconfig, %s)"
        return Q(RawSQL(sql, [words], output_field=BooleanField()))
    every_word = Q()
    for word in words.split():
        every_word &= Q(title__icontains=word) | Q(text__icontains=word)
    return every_word


def _tagged(tag: str) -> Q:
    """Articles whose metadata has this "tag", or has it among its "tags"; on PostgreSQL
    through the metadata's index (containment), on SQLite by key (the tag, quoted as
    JSON, within the list's text)."""
    if connection.vendor == "postgresql":
        return Q(metadata__contains={"tag": tag}) | Q(metadata__contains={"tags": [tag]})
    return Q(metadata__tag=tag) | Q(metadata__tags__icontains=json.dumps(tag))


def _disagreed(project) -> QuerySet:
    """The articles whose annotators' units differ (alpha_U or span F1 below 1), as the
    agreement figures last computed them (`annotate.agreement_store`: the worker keeps a
    row of sums per article compared by two annotators or more, finished layers only)."""
    code = options_code(include_in_progress=False, against_gold=False)
    rows = AgreementArticle.objects.filter(project=project, options=code, annotators__gte=2)
    return rows.filter(Q(alpha_order__lt=1) | Q(f1_order__lt=1)).values("article_id")


def _status(status: str, annotator: int | None, project) -> Q:
    """Articles in `status`: the annotator's layer's (from that annotator's layers, an
    index away), or the article's as a whole (its `progress`, which the database keeps
    from the counters of its layers, indexed)."""
    if status == "curated":
        return Q(curated=True)
    if status == "disagreed":
        return Q(pk__in=_disagreed(project))
    if annotator is not None:
        theirs = Layer.objects.filter(annotator_id=annotator)
        if status == "unassigned":
            return ~Q(pk__in=theirs.values("article_id"))
        if status == "unfinished":
            return Q(pk__in=theirs.exclude(status=Layer.Status.FINISHED).values("article_id"))
        return Q(pk__in=theirs.filter(status=status).values("article_id"))
    if status == "unfinished":
        return Q(progress__in=[Article.Progress.NOT_STARTED, Article.Progress.IN_PROGRESS])
    return Q(progress=status)


@dataclass(frozen=True)
class Row:
    """An article of a page with its annotators' layers (id, username, status), by username."""

    article: Article
    layers: list[Layer]


@dataclass(frozen=True)
class ArticleList:
    form: ArticleFilter
    rows: list[Row]
    page: paging.Page
    count: int  # how many articles match (at most COUNT_LIMIT when `more`)
    more: bool  # more than `count` match: a search's or a label's count stops at COUNT_LIMIT
    problems: list[str]  # what the request asked that could not be read


# The columns a list reads of an article: never its text.
LISTED = (
    "id",
    "project_id",
    "title",
    "author",
    "outlet",
    "published",
    "length",
    "metadata",
    "progress",
    *Article.COUNTERS,
)


def article_list(membership: Membership, data, *, size: int = PAGE_SIZE) -> ArticleList:
    """The page (of `size` articles) of the member's article list that `data` (a query
    string) asks for, with each article's annotator layers as the member may see them.
    Four queries."""
    articles_filter = ArticleFilter(data, membership=membership)
    problems = articles_filter.problems
    matching = articles_matching(membership, articles_filter)
    try:
        page = paging.page_of(
            matching.only(*LISTED),
            articles_filter.order,
            after=data.get("after", ""),
            before=data.get("before", ""),
            size=size,
        )
    except paging.BadCursor as error:
        problems.append(str(error))
        page = paging.page_of(matching.only(*LISTED), articles_filter.order, size=size)
    dear = articles_filter.is_valid() and bool(
        articles_filter.cleaned_data["q"] or articles_filter.cleaned_data["label"]
    )
    count = matching.order_by()[: COUNT_LIMIT + 1].count() if dear else matching.order_by().count()
    more = dear and count > COUNT_LIMIT
    visible = access.layers(membership).filter(article_id__in=[article.pk for article in page.rows])
    layers: dict[int, list[Layer]] = {}
    for layer in (
        visible.annotator_layers().select_related("annotator").only("id", "article_id", "status", "annotator__username")
    ):
        layers.setdefault(layer.article_id, []).append(layer)
    rows = [Row(article, layers.get(article.pk, [])) for article in page.rows]
    return ArticleList(articles_filter, rows, page, min(count, COUNT_LIMIT) if more else count, more, problems)
