"""Readers of our exports written from each format's public definition, never from
our own parsers: what a stranger's code would see in the files."""

import csv
import io
import json
import posixpath
import re
import zipfile
from dataclasses import dataclass, field


@dataclass
class ConllDocument:
    """One CoNLL document as a reader sees it: its header, its segments (a `B-` and the
    `I-`s of the same tag after it) as `(start, end, tag)` with code-point offsets found
    by aligning the tokens to the article text, and the relations their tags encode."""

    article: str
    layer: str
    left_out: list[str] = field(default_factory=list)
    segments: list[tuple[int, int, str]] = field(default_factory=list)
    # Every token as `(start, end, paragraph)`, paragraphs counted from 0.
    tokens: list[tuple[int, int, int]] = field(default_factory=list)

    def texts(self, text: str) -> list[tuple[str, str]]:
        """Each segment's `(label part of the tag, text from its first to its last token)`."""
        return [(tag, text[start:end]) for start, end, tag in self.segments]

    def links(self) -> list[tuple[int, str, int]]:
        """Eger et al.'s encoding: a tag `Label[:Stance]:distance:Relation` points at the
        segment `distance` segments on. `(source segment, relation, target segment)`,
        segments numbered from 0."""
        found = []
        for number, (_, _, tag) in enumerate(self.segments):
            parts = tag.split(":")
            if len(parts) >= 3 and re.fullmatch(r"-?\d+", parts[-2]):
                at = number + int(parts[-2])
                assert at in range(len(self.segments)), f"{tag} points at no other segment"
                assert at != number, f"{tag} points at its own segment"
                found.append((number, parts[-1], at))
        return found

    def relations(self, text: str) -> list[tuple[str, str, str]]:
        """`links()` as `(source text, relation, target text)`."""
        quoted = [text[start:end] for start, end, _ in self.segments]
        return [(quoted[source], relation, quoted[target]) for source, relation, target in self.links()]


def read_conll(content: str, texts: dict[str, str]) -> list[ConllDocument]:
    """The documents of a CoNLL file (`index<TAB>token<TAB>tag` lines, `#` comments,
    blank lines between sentences), the tokens found in order in `texts[article id]`."""
    documents: list[ConllDocument] = []
    position = paragraph = 0
    previous = "O"
    for line in content.split("\n"):
        if line.startswith("# article: "):
            documents.append(ConllDocument(article=line.split(" ")[2], layer=""))
            position, paragraph, previous = 0, 0, "O"
        elif line.startswith("# layer: "):
            documents[-1].layer = line.removeprefix("# layer: ")
        elif line.startswith("# left out: "):
            documents[-1].left_out.append(line.removeprefix("# left out: "))
        elif not line:
            previous = "O"
            paragraph += 1
        else:
            _, token, tag = line.split("\t")
            text = texts[documents[-1].article]
            start = text.index(token, position)
            assert not text[position:start].strip(), (text[position:start], token)
            position = start + len(token)
            documents[-1].tokens.append((start, position, paragraph))
            segments = documents[-1].segments
            if tag.startswith("B-"):
                segments.append((start, position, tag[2:]))
            elif tag.startswith("I-"):
                assert previous[2:] == tag[2:], (previous, tag)
                segments[-1] = (segments[-1][0], position, segments[-1][2])
            previous = tag
    return documents


def read_csv(content: str) -> dict[tuple[str, str, str], dict]:
    """The units of a CSV export as docs/formats.md describes its columns: its rows
    grouped by article_id, layer and unit_id, each unit with its label, stance,
    relations ("type:target; …") and its spans `(start, end, text)` in `span` order.
    Cells are read with the csv module, less the one leading "'" a cell that a
    spreadsheet would run is given."""
    rows = csv.DictReader(io.StringIO(content.removeprefix("\ufeff"), newline=""))
    units: dict[tuple[str, str, str], dict] = {}

    def cell(row: dict, name: str) -> str:
        value = row[name]
        return value[1:] if value.startswith("'") else value

    for row in rows:
        key = (cell(row, "article_id"), cell(row, "layer"), cell(row, "unit_id"))
        relations = [tuple(item.split(":", 1)) for item in cell(row, "relations").split("; ") if item]
        unit = units.setdefault(
            key, {"label": cell(row, "label"), "stance": cell(row, "stance"), "relations": relations, "spans": []}
        )
        assert (unit["label"], unit["stance"], unit["relations"]) == (
            cell(row, "label"),
            cell(row, "stance"),
            relations,
        ), f"the rows of {key} disagree"
        assert int(row["span"]) == len(unit["spans"]) + 1, f"{key}: span {row['span']} out of order"
        unit["spans"].append((int(row["start"]), int(row["end"]), cell(row, "text")))
    return units


# Line breaks as brat's reader splits at them (Python's str.splitlines).
LINE_BREAKS = "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"


def read_brat(archive: bytes) -> dict[str, dict]:
    """The layers of a brat standoff zip, by folder (a layer's owner), as brat's
    standoff definition reads a `.ann` beside its `.txt`: T lines (`id<TAB>type
    start end[;start end]…<TAB>text`, the text being the fragments' texts joined by a
    space), R lines (`id<TAB>type Arg1:X Arg2:Y`) and A lines (`id<TAB>name X value`).
    Each layer: `units` {id: (type, [(start, end), …])}, `relations` [(id, type,
    X, Y)], `attributes` {X: {name: value}}."""
    layers: dict[str, dict] = {}
    with zipfile.ZipFile(io.BytesIO(archive)) as zipped:
        for name in zipped.namelist():
            if not name.endswith(".ann"):
                continue
            text = zipped.read(name[:-4] + ".txt").decode("utf-8")
            layer = {"units": {}, "relations": [], "attributes": {}}
            for line in zipped.read(name).decode("utf-8").split("\n"):
                fields = line.split("\t", 2)  # a T line's text may hold a tab
                if line.startswith("T"):
                    kind, _, offsets = fields[1].partition(" ")
                    pieces = [tuple(int(n) for n in piece.split(" ")) for piece in offsets.split(";")]
                    assert fields[2] == " ".join(text[start:end] for start, end in pieces), line
                    layer["units"][fields[0]] = (kind, pieces)
                elif line.startswith("R"):
                    kind, first, second = fields[1].split(" ")
                    layer["relations"].append(
                        (fields[0], kind, first.removeprefix("Arg1:"), second.removeprefix("Arg2:"))
                    )
                elif line.startswith("A"):
                    attribute, unit, value = fields[1].split(" ")
                    layer["attributes"].setdefault(unit, {})[attribute] = value
            layers[posixpath.dirname(name)] = layer
    return layers


def read_aif(archive: bytes) -> dict[str, dict]:
    """The AIF documents of a zip, by folder: `nodes`, the I-nodes' texts in order, and
    `links`, each scheme node (RA, CA) with the I-node its one incoming edge comes from
    and the one its outgoing edge goes to, as `(from text, scheme text, to text)`."""
    documents: dict[str, dict] = {}
    with zipfile.ZipFile(io.BytesIO(archive)) as zipped:
        for name in zipped.namelist():
            graph = json.loads(zipped.read(name))
            nodes = {node["nodeID"]: node for node in graph["nodes"]}
            links = []
            for node in graph["nodes"]:
                if node["type"] in ("RA", "CA"):
                    (source,) = [edge["fromID"] for edge in graph["edges"] if edge["toID"] == node["nodeID"]]
                    (target,) = [edge["toID"] for edge in graph["edges"] if edge["fromID"] == node["nodeID"]]
                    links.append((nodes[source]["text"], node["type"], node["text"], nodes[target]["text"]))
            texts = [node["text"] for node in graph["nodes"] if node["type"] == "I"]
            documents[posixpath.dirname(name)] = {"nodes": texts, "links": links}
    return documents
