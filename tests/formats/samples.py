"""Records the format tests share: a hand-made article, and hypothesis strategies for random ones."""

from hypothesis import reject
from hypothesis import strategies as st

from annotate.formats.plaintext import normalise_text
from annotate.formats.records import (
    ArticleRecord,
    LabelRecord,
    LayerRecord,
    RelationRecord,
    SchemeRecord,
    SpanRecord,
    UnitRecord,
)

SCHEME = SchemeRecord(
    labels=[
        LabelRecord("MajorClaim", colour="#9467bd"),
        LabelRecord("Claim", attributes={"stance": ["For", "Against"]}, colour="#1f77b4"),
        LabelRecord("Premise", colour="#ff7f0e"),
    ],
    relation_types=["supports", "attacks"],
)

# Astral characters (🙂, and 👍🏽: two code points, one grapheme), a combining mark
# that has no precomposed form (n̄), a line break inside a paragraph, two paragraphs.
TEXT = (
    "Cities should ban cars 🙂.\n\n"
    "Traffic kills thousands every year, and most trips are short 👍🏽.\n"
    "Critics say shops will suffer, but footfall rises where streets are calm. Man\u0304a agrees."
)


def span(quoted: str, *, text: str = TEXT) -> SpanRecord:
    """The span of the only occurrence of `quoted` in `text`."""
    assert text.count(quoted) == 1, quoted
    start = text.index(quoted)
    return SpanRecord(start, start + len(quoted))


def sample_article() -> ArticleRecord:
    """An article with a gold layer (a discontinuous unit, one crossing a line break and
    overlapping another, a stance, a note, both relation types), an annotator's layer
    and an empty one."""
    gold = LayerRecord(
        owner="gold",
        status="finished",
        units=[
            UnitRecord("T1", "MajorClaim", [span("Cities should ban cars")]),
            UnitRecord(
                "T2", "Claim", [span("footfall rises where streets are calm")], attributes={"stance": "Against"}
            ),
            UnitRecord(
                "T3",
                "Premise",
                [span("Traffic kills thousands every year"), span("most trips are short 👍🏽")],
                note="Two reasons in one sentence.\nKept together.",
            ),
            UnitRecord("T4", "Premise", [span("short 👍🏽.\nCritics say shops will suffer")]),
        ],
        relations=[
            RelationRecord("R1", "supports", "T3", "T1"),
            RelationRecord("R2", "attacks", "T4", "T2"),
        ],
    )
    annotator = LayerRecord(
        owner="ann",
        status="in_progress",
        document_stance="For",
        units=[
            UnitRecord("u7", "Claim", [span("Man\u0304a agrees")], attributes={"stance": "For"}),
            UnitRecord("u9", "Premise", [span("🙂")]),
        ],
        relations=[RelationRecord("r1", "supports", "u9", "u7")],
    )
    return ArticleRecord(
        id="17",
        title="Cities & cars: a “modest” proposal",
        text=TEXT,
        author="Jane Roe",
        outlet="The Daily View",
        url="https://example.org/opinion/cities",
        published="2024-05-03",
        metadata={"section": "Opinion", "tags": ["cars", "cities"], "words": 42},
        layers=[gold, annotator, LayerRecord(owner="bob", status="not_started")],
    )


# Three paragraphs; "🙂" and "n̄" so that offsets are code points, not bytes.
SHAPES = (
    "Cities should ban cars because traffic kills 🙂.\n\n"
    "Man\u0304a says shops suffer, yet footfall rises.\n\n"
    "So act now."
)


def shapes_article() -> ArticleRecord:
    """A layer of every shape: a premise nested in a claim, two units overlapping, a
    discontinuous unit, one across a paragraph break, and relations to units that cannot
    be written, two from one unit, and a cycle."""
    text = SHAPES
    units = [
        UnitRecord("T1", "Claim", [span("Cities should ban cars because traffic kills", text=text)],
                   attributes={"stance": "For"}),
        UnitRecord("T2", "Premise", [span("traffic kills", text=text)]),  # nested in T1
        UnitRecord("T3", "Premise", [span("shops suffer, yet footfall", text=text)]),
        UnitRecord("T4", "Premise", [span("footfall rises", text=text)]),  # overlaps T3
        UnitRecord("T5", "Claim", [span("Man\u0304a says", text=text), span("rises", text=text)]),
        UnitRecord("T6", "MajorClaim", [span("rises.\n\nSo act now", text=text)]),  # across a paragraph break
    ]  # fmt: skip
    relations = [
        RelationRecord("R1", "supports", "T2", "T1"),  # from a nested unit
        RelationRecord("R2", "attacks", "T3", "T1"),
        RelationRecord("R3", "supports", "T3", "T6"),  # a second from T3
        RelationRecord("R4", "supports", "T1", "T4"),  # to an overlapping unit
        RelationRecord("R5", "attacks", "T5", "T3"),
        RelationRecord("R6", "supports", "T6", "T5"),
        RelationRecord("R7", "attacks", "T1", "T3"),  # T3 → T1 → T3: a cycle
    ]
    layer = LayerRecord(owner="gold", units=units, relations=relations)
    return ArticleRecord(id="a1", title="Shapes", text=text, layers=[layer])


# Random records --------------------------------------------------------------------------

# Pieces of text: letters, white space of every kind a format must carry, astral
# characters, a combining mark, a precomposed letter, and U+2028 (a line break to
# str.splitlines, not to JSON).
PIECES = ["a", "b", "Ω", " ", "  ", "\n", "\n\n", "\t", ".", ",", "🙂", "👍🏽", "n\u0304", "é", "\u2028", '"', "’"]
LABELS = ["MajorClaim", "Claim", "Premise"]
LINE_BREAKS = "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"

texts = (
    st.lists(st.sampled_from(PIECES), min_size=1, max_size=40)
    .map("".join)
    .filter(lambda text: text.strip() and normalise_text(text) == text)
)


@st.composite
def spans_over(draw, text: str, *, brat_safe: bool) -> list[SpanRecord]:
    """One to three spans of `text`, in order, not overlapping, not only white space.
    `brat_safe` spans round-trip through brat exactly: none starts or ends with a line
    break, and no two are separated by line breaks alone."""
    cuts = sorted(draw(st.lists(st.integers(0, len(text)), min_size=2, max_size=6, unique=True)))
    spans = [SpanRecord(start, end) for start, end in zip(cuts[::2], cuts[1::2], strict=False)]
    spans = [span for span in spans if text[span.start : span.end].strip()]
    if brat_safe:
        spans = [
            span for span in spans if text[span.start] not in LINE_BREAKS and text[span.end - 1] not in LINE_BREAKS
        ]
        kept: list[SpanRecord] = []
        for span in spans:
            gap = text[kept[-1].end : span.start] if kept else ""
            if not gap or not set(gap) <= set(LINE_BREAKS):
                kept.append(span)
        spans = kept
    if not spans:
        reject()
    return spans


@st.composite
def articles(draw, *, brat_safe: bool = False, min_layers: int = 0) -> ArticleRecord:
    """A random article with up to three layers of random units (overlapping, discontinuous,
    with stances and notes) and relations."""
    text = draw(texts)
    layers = []
    for owner in draw(st.lists(st.sampled_from(["gold", "ann", "bob"]), min_size=min_layers, max_size=3, unique=True)):
        units = []
        for number in range(1, draw(st.integers(0, 5)) + 1):
            label = draw(st.sampled_from(LABELS))
            attributes = {"stance": draw(st.sampled_from(["For", "Against"]))} if label == "Claim" else {}
            note = draw(st.sampled_from(["", "check this", "two\nlines"]))
            units.append(UnitRecord(f"T{number}", label, draw(spans_over(text, brat_safe=brat_safe)), attributes, note))
        pairs = draw(
            st.lists(
                st.tuples(st.sampled_from(units), st.sampled_from(units)).filter(lambda pair: pair[0] is not pair[1]),
                max_size=4,
                unique_by=lambda pair: frozenset((pair[0].id, pair[1].id)),  # two units take one relation
            )
            if len(units) > 1
            else st.just([])
        )
        relations = [
            RelationRecord(f"R{number}", draw(st.sampled_from(["supports", "attacks"])), source.id, target.id)
            for number, (source, target) in enumerate(pairs, start=1)
        ]
        layers.append(LayerRecord(owner=owner, units=units, relations=relations))
    title = draw(st.text(max_size=20))
    return ArticleRecord(title=title, text=text, id=str(draw(st.integers(1, 10**6))), layers=layers)
