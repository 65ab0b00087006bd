"""The one Django-free record type every dataset format reads and writes.

An `ArticleRecord` holds an article's text and metadata and its layers; a layer holds
units (with spans in code points) and relations between those units.
"""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class SpanRecord:
    start: int
    end: int


@dataclass
class UnitRecord:
    id: str
    label: str
    spans: list[SpanRecord]
    attributes: dict[str, str] = field(default_factory=dict)
    note: str = ""


@dataclass
class RelationRecord:
    id: str
    type: str
    source: str
    target: str


@dataclass
class LayerRecord:
    # The annotator's username, or "gold" for the curators' gold layer.
    owner: str
    status: str = "not_started"
    document_stance: str = ""
    units: list[UnitRecord] = field(default_factory=list)
    relations: list[RelationRecord] = field(default_factory=list)


@dataclass
class ArticleRecord:
    title: str
    text: str
    id: str = ""
    author: str = ""
    outlet: str = ""
    url: str = ""
    published: str = ""  # ISO date, or empty
    metadata: dict = field(default_factory=dict)
    layers: list[LayerRecord] = field(default_factory=list)
