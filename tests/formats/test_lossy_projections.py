"""Random layers of every shape, exported and read back by a stranger's reader written
from each format's definition: CoNLL gives exactly its documented projection and its
loss report names exactly what it leaves out; CSV, brat and AIF give every unit and
relation as docs/formats.md says. (JSON Lines and brat also round-trip byte for byte
through our import: tests/test_dataset_round_trip.py.)"""

import io
import zipfile
from collections import Counter

from hypothesis import given, settings

from annotate.formats import aif, brat, conll, csv_rows
from annotate.formats.losses import LossReport
from annotate.formats.records import ArticleRecord, LayerRecord
from tests.formats.readers import LINE_BREAKS, ConllDocument, read_aif, read_brat, read_conll, read_csv
from tests.formats.samples import SCHEME, articles
from tests.formats.test_csv_rows import every_unit_whole


def conll_projection(layer: LayerRecord, document: ConllDocument) -> tuple[list, list[str], list[tuple]]:
    """What conll's docstring says a reader finds, worked out from the tokens the reader
    saw: the segments `(start, end, label)`, the ids of the units and relations left out
    or written in part, in the order the header lists them, and the relations as
    `(source segment, relation name, target segment)`."""
    tokens = document.tokens
    pieces_of = {}
    for unit in layer.units:
        inside = [
            number
            for number, (start, end, _) in enumerate(tokens)
            if any(span.start < end and start < span.end for span in unit.spans)
        ]
        pieces: list[list[int]] = []
        for number in inside:
            if pieces and pieces[-1][-1] == number - 1 and tokens[number][2] == tokens[number - 1][2]:
                pieces[-1].append(number)
            else:
                pieces.append([number])
        pieces_of[unit.id] = pieces

    def text_order(index: int) -> tuple[int, int, int]:
        spans = layer.units[index].spans
        return (spans[0].start, -sum(span.end - span.start for span in spans), index)

    taken: set[int] = set()
    written, lost = [], []
    for index in sorted(range(len(layer.units)), key=text_order):
        unit = layer.units[index]
        first = pieces_of[unit.id][0]
        if taken & set(first):
            lost.append(unit.id)
            continue
        taken |= set(first)
        written.append(unit)
        if len(pieces_of[unit.id]) > 1:
            lost.append(unit.id)
    segments = [(tokens[pieces_of[u.id][0][0]][0], tokens[pieces_of[u.id][0][-1]][1], u.label) for u in written]
    segment_of = {unit.id: number for number, unit in enumerate(written)}
    names = {"supports": "Support", "attacks": "Attack"}
    links = {}
    for relation in layer.relations:
        if relation.source in segment_of and relation.target in segment_of and relation.source not in links:
            links[relation.source] = (segment_of[relation.source], names[relation.type], segment_of[relation.target])
        else:
            lost.append(relation.id)
    return segments, lost, sorted(links.values())


@settings(max_examples=300)
@given(articles(min_layers=1))
def test_a_conll_reader_finds_the_documented_projection_and_the_report_names_what_is_left_out(article):
    report = LossReport(kept=10_000)

    content = "".join(conll.export([article], stance=True, relations=True, report=report))

    documents = read_conll(content, {article.id: article.text})
    assert [document.layer for document in documents] == [layer.owner for layer in article.layers]
    reported = []
    for layer, document in zip(article.layers, documents, strict=True):
        segments, lost, links = conll_projection(layer, document)
        assert [(start, end, tag.split(":")[0]) for start, end, tag in document.segments] == segments
        assert document.links() == links
        assert [line.split(" ")[0] for line in document.left_out] == lost
        reported += [(layer.owner, item) for item in lost]
    assert [(loss.layer, loss.item) for loss in report.losses] == reported


@settings(max_examples=300)
@given(articles())
def test_a_csv_reader_finds_every_unit_whole_and_every_quote_is_its_slice(article: ArticleRecord):
    units = read_csv("".join(csv_rows.export([article])))

    assert units == every_unit_whole([article])


def merged(text: str, pieces: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """brat's fragments of one unit, those separated by line breaks alone joined again
    (brat splits a span at every line break: docs/formats.md)."""
    spans: list[tuple[int, int]] = []
    for start, end in pieces:
        if spans and all(char in LINE_BREAKS for char in text[spans[-1][1] : start]):
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
    return spans


@settings(max_examples=200)
@given(articles(brat_safe=True, min_layers=1))
def test_a_brat_reader_finds_every_unit_relation_and_stance(article: ArticleRecord):
    layers = read_brat(b"".join(brat.export([article], scheme=SCHEME)))

    assert layers == {
        layer.owner: {
            "units": {
                unit.id: (unit.label, [piece for span in unit.spans for piece in brat.fragments(article.text, span)])
                for unit in layer.units
            },
            "relations": [(r.id, r.type, r.source, r.target) for r in layer.relations],
            "attributes": {
                unit.id: {"Stance": unit.attributes["stance"]} for unit in layer.units if "stance" in unit.attributes
            },
        }
        for layer in article.layers
    }
    for layer in article.layers:
        assert [merged(article.text, pieces) for _, pieces in layers[layer.owner]["units"].values()] == [
            [(span.start, span.end) for span in unit.spans] for unit in layer.units
        ]


def offsets(spans: list[tuple[int, int]]) -> str:
    return ", ".join(f"{start}–{end}" for start, end in spans)


@settings(max_examples=200)
@given(articles(min_layers=1))
def test_the_brat_report_and_left_out_txt_name_exactly_the_units_a_reader_gets_back_changed(article: ArticleRecord):
    report = LossReport(kept=10**6)

    archive = b"".join(brat.export([article], scheme=SCHEME, report=report))

    layers = read_brat(archive)
    changed = []
    for layer in article.layers:
        for unit in layer.units:
            back = merged(article.text, layers[layer.owner]["units"][unit.id][1])
            if back != [(span.start, span.end) for span in unit.spans]:
                says = f"{unit.id} ({unit.label}) {offsets([(s.start, s.end) for s in unit.spans])} comes back as "
                changed.append(f"article {article.id}, layer {layer.owner}: {says}{offsets(back)}")
    assert [str(loss) for loss in report.losses] == changed
    assert report.counts == Counter({"line break": len(changed)} if changed else {})
    with zipfile.ZipFile(io.BytesIO(archive)) as zipped:
        # Two lines say what the file is; then a line each; no file when nothing changes.
        listed = zipped.read("LEFT-OUT.txt").decode().splitlines()[2:] if "LEFT-OUT.txt" in zipped.namelist() else []
    assert listed == changed


@settings(max_examples=200)
@given(articles(min_layers=1))
def test_an_aif_reader_finds_every_unit_as_an_i_node_and_every_relation_as_a_scheme_node(article: ArticleRecord):
    documents = read_aif(b"".join(aif.export([article])))

    schemes = {"supports": ("RA", "Default Inference"), "attacks": ("CA", "Default Conflict")}
    quoted = {
        (layer.owner, unit.id): " ".join(article.text[span.start : span.end] for span in unit.spans)
        for layer in article.layers
        for unit in layer.units
    }
    assert documents == {
        layer.owner: {
            "nodes": [quoted[(layer.owner, unit.id)] for unit in layer.units],
            "links": [
                (quoted[(layer.owner, r.source)], *schemes[r.type], quoted[(layer.owner, r.target)])
                for r in layer.relations
            ],
        }
        for layer in article.layers
    }
