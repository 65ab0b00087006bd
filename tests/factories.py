"""Test data, built through the same domain functions the app uses."""

import itertools

from django.contrib.auth.models import User

from annotate import projects, relations, units
from annotate.formats.records import ArticleRecord
from annotate.models import ArgumentUnit, Article, Label, Layer, Project, Relation, RelationType

_numbers = itertools.count(1)

ARTICLE_TEXT = (
    "Cities should ban cars from their centres.\n\n"
    "Traffic kills thousands every year, and most trips in town are short. "
    "Critics say shops will suffer, but footfall rises where streets are calm."
)


def make_user(username: str | None = None, *, password: str = "secret-pass-1") -> User:
    username = username or f"user{next(_numbers)}"
    return User.objects.create_user(username=username, password=password)


def make_project(*, manager: User | None = None, slug: str | None = None, **settings) -> Project:
    number = next(_numbers)
    manager = manager or make_user(f"manager{number}")
    return projects.create_project(
        name=f"Project {number}", slug=slug or f"project-{number}", manager=manager, **settings
    )


def make_article(project: Project, *, text: str | None = None, title: str | None = None) -> Article:
    number = next(_numbers)
    text = text if text is not None else f"{ARTICLE_TEXT} ({number})"
    record = ArticleRecord(title=title or f"Article {number}", text=text)
    article, _ = projects.add_article(project=project, record=record, user=None)
    return article


def scheme_of(project: Project) -> dict[str, Label | RelationType]:
    """The project's labels and relation types by name: `scheme["Claim"]`, `scheme["supports"]`."""
    return {label.name: label for label in project.labels.all()} | {
        kind.name: kind for kind in project.relation_types.all()
    }


def span_of(text: str, quote: str, *, inner: str | None = None) -> tuple[int, int]:
    """The span of `quote`'s first occurrence in `text` (of `inner`, within `quote`, when given)."""
    start = text.index(quote)
    if inner:
        start += quote.index(inner)
        quote = inner
    return (start, start + len(quote))


def make_unit(
    layer: Layer,
    label: Label,
    quote: str,
    *,
    inner: str | None = None,
    attributes: dict | None = None,
    note: str = "",
) -> ArgumentUnit:
    """The layer's annotator marks `quote` (or `inner`, within it) in the article as a unit of `label`."""
    spans = [span_of(layer.article.text, quote, inner=inner)]
    return units.create_unit(
        layer=layer, label=label, spans=spans, user=layer.annotator, attributes=attributes, note=note
    ).unit


def make_relation(layer: Layer, kind: RelationType, source: ArgumentUnit, target: ArgumentUnit) -> Relation:
    """The layer's annotator links `source` to `target` with a relation of type `kind`."""
    return relations.create_relation(
        layer=layer, type=kind, source=source, target=target, user=layer.annotator
    ).relation
