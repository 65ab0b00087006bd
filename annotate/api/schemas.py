"""The shapes of what the API answers, which its OpenAPI schema documents."""

from datetime import date

from ninja import Schema


class LabelOut(Schema):
    name: str
    key: str
    colour: str
    role: str
    attributes: dict


class RelationTypeOut(Schema):
    name: str
    key: str
    colour: str


class ProjectOut(Schema):
    slug: str
    name: str
    role: str
    description: str
    annotators_per_article: int
    blind: bool
    labels: list[LabelOut]
    relation_types: list[RelationTypeOut]


class ProjectPage(Schema):
    count: int
    next: str | None
    previous: str | None
    results: list[ProjectOut]


class LayerOut(Schema):
    owner: str
    status: str
    url: str


class ArticleOut(Schema):
    id: int
    title: str
    author: str
    outlet: str
    published: date | None
    length: int
    metadata: dict
    status: str
    curated: bool
    layers: list[LayerOut]


class ArticlePage(Schema):
    count: int
    more: bool
    next: str | None
    previous: str | None
    results: list[ArticleOut]


class ImportOut(Schema):
    created: list[int]
    already_there: list[int]
    summary: str


class UnitOut(Schema):
    id: str
    label: str
    spans: list[tuple[int, int]]
    text: list[str]
    attributes: dict
    note: str


class RelationOut(Schema):
    id: str
    type: str
    source: str
    target: str


class LayerRecordOut(Schema):
    owner: str
    status: str
    document_stance: str
    units: list[UnitOut]
    relations: list[RelationOut]


class ArticleRecordOut(Schema):
    """An article with one layer, as a line of the JSON Lines export (docs/formats.md)."""

    id: str
    title: str
    author: str
    outlet: str
    url: str
    published: str
    metadata: dict
    text: str
    layers: list[LayerRecordOut]


class ErrorOut(Schema):
    code: str
    message: str
