"""The one Django-free record type every dataset format reads and writes.

An `ArticleRecord` holds an article's text and metadata and its layers; a layer holds
units (with spans in code points) and relations between those units. A
`SchemeRecord` is a project's label scheme, for the formats that write it (brat's
annotation.conf) and for checking imported labels against it.

What importers promise about the records they return (and exporters expect): the
text is normalised (`plaintext.normalise_text`); a unit's spans are in text order,
lie inside the text, neither overlap nor hold only white space; ids are unique within
their layer; a relation links two different units of its layer, and no two relations
link the same source to the same target.
"""

import gc
from collections.abc import Iterator
from contextlib import contextmanager
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
    # not_started, in_progress or finished; empty when the file does not say (brat), and
    # then the import decides by whether the layer holds units.
    status: str = ""
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
    # Where the article was read, for messages about it: the file inside an upload (a
    # brat zip's entry) and the line (a JSON Lines file's). Not part of the article: two
    # records of the same article are equal wherever they were read.
    source: str = field(default="", compare=False, repr=False)
    line: int | None = field(default=None, compare=False, repr=False)


@dataclass
class LabelRecord:
    name: str
    # Attribute name → its allowed values, e.g. {"stance": ["For", "Against"]}.
    attributes: dict[str, list[str]] = field(default_factory=dict)
    colour: str = ""  # "#rrggbb", or empty


@dataclass
class SchemeRecord:
    labels: list[LabelRecord] = field(default_factory=list)
    relation_types: list[str] = field(default_factory=list)

    def label(self, name: str) -> LabelRecord | None:
        """The label called `name`, or None."""
        return next((label for label in self.labels if label.name == name), None)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while records are built in bulk.

    Records hold no reference cycles, so the collector has nothing to find in them, but
    while hundreds of thousands of them are being built and kept (an export batch, a
    parsed file) it walks them again and again: a quarter to a third of the time of an
    export or a JSONL parse. Reference counting still frees everything as usual.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
