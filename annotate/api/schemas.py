"""The shapes of what the API answers, which its OpenAPI schema documents."""

from datetime import date, datetime

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


class JobOut(Schema):
    """A job: what it is, how far it got and how it ended."""

    id: int
    kind: str
    status: str
    phase: str
    done: int
    total: int
    message: str
    problems: list[str]
    result: dict | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    url: str
    download_url: str | None
    expires_at: datetime | None


class PreviewOut(Schema):
    """The verdict of an import's preview: what it would write, and the choices it was made with."""

    summary: str
    counts: dict[str, int]
    new_labels: list[str]
    new_relation_types: list[str]
    skipped: list[str]
    skipped_layers: list[str]
    preview: dict[str, str]


class ExportIn(Schema):
    format: str
    layers: str = "all"
    finished_only: bool = False
    stance: bool = False
    relations: bool = False


class ArticleAgreementOut(Schema):
    id: int
    title: str
    layers: int
    alpha_u: float | None
    span_f1_overlap: float | None


class AgreementOut(Schema):
    """The stored agreement figures, as the agreement page shows them."""

    computed_at: datetime | None
    current: bool
    layers_changed: int | None
    compared: int
    figures: dict | None
    job: JobOut | None
    next: str | None
    articles: list[ArticleAgreementOut]


class AssignmentIn(Schema):
    articles: list[int]
    annotators: list[str]
    assigned: bool = True


class AssignmentOut(Schema):
    added: int
    removed: int
    message: str


class AssigneeOut(Schema):
    username: str
    status: str


class AssignedArticleOut(Schema):
    id: int
    title: str
    annotators: list[AssigneeOut]


class AssignmentPage(Schema):
    count: int
    next: str | None
    previous: str | None
    results: list[AssignedArticleOut]
