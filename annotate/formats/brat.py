"""brat standoff, the format argument corpora are distributed in (export and import).

Layout of an export (a zip, or a directory)::

    annotation.conf            entity, relation and attribute types, from the label scheme
    visual.conf                label colours (only when the scheme has colours)
    <name>.article.json        the article's title, author, outlet, URL, date and metadata
    gold/<name>.txt            the article text, exactly as stored
    gold/<name>.ann            the gold layer
    <annotator>/<name>.txt     the same text again: brat wants a .txt beside every .ann
    <annotator>/<name>.ann     that annotator's layer

`<name>` is a slug of the article's id and title ("3f9a0c1b2d4e-did-trump-flinch"), made
unique within the export. An article without layers is not written. The
`<name>.article.json` is one line of JSON with the fields of a native JSON Lines line
other than the text and layers (brat has no place for them, and ignores the file).

A `.ann` file is TAB-separated with LF line ends and a final newline (empty for a
layer without units)::

    T2	Premise 33 58;59 68	text of fragment one text of fragment two
    A1	Stance T3 For
    R1	supports Arg1:T4 Arg2:T3
    #1	AnnotatorNotes T3	the note

Offsets are code points of the .txt (Python `str` indices), as brat counts them.
Choices a reader should know:

- Line breaks. A `.ann` line cannot hold a line break, so a span that crosses one is
  written as fragments split at every line break (as brat itself does), and line breaks
  at a span's edges are left out. On import, consecutive fragments of one T line that
  are separated by nothing but line breaks merge back into one span. So the round trip
  is exact unless a span starts or ends with a line break, or two spans of one unit
  are separated by line breaks alone. "Line break" means every character
  `str.splitlines` splits at, as brat's own reader splits at all of them. Each unit
  that comes back changed is listed (`losses.Loss`, kind "line break") in the zip's
  `LEFT-OUT.txt` (its last entry, only when there is one), to `report`, on the export
  page and by `export_dataset`: "T3 (Premise) 12–20 comes back as 13–20".
- Ids. A layer's unit ids are kept when they are all brat ids ("T1", "T7" …), and
  numbered T1, T2 … in order otherwise; relation ids likewise with R.
- Attributes: `stance` is written `Stance` (brat corpora capitalise attribute names)
  and read back with its first letter in lower case. An attribute without a value
  (brat's binary attributes) is read as "true".
- Notes: one `#` line per line of the note; on import the lines join with "\\n".
- Type names (labels, relation types, attribute values) cannot hold white space in
  brat; each run of white space is written as "_".
- On import, the folder holding a `.ann` names its layer's owner ("gold" at the top
  level) unless `owner=` is given, e.g. `owner="gold"` for a published corpus such as
  the Argument Annotated Essays, whose files sit in `brat-project-final/`. An article
  is a file name: the same name in several folders is one article with several layers
  (their texts must agree). Its title and metadata come from `<name>.article.json` when
  the zip has one at its top level; otherwise the title is the file name, less the id
  prefix an export wrote (the first 12 hex digits of the SHA-256 of the text, and a
  "-"). So export → import → export gives the same files, names and bytes.
  A `.txt` with no `.ann` beside it is ignored (corpora ship README.txt files).
- A leading byte-order mark in a `.txt` is dropped and the offsets shifted to match
  (brat counts it as a character); a text that is not in the stored form (Unicode NFC,
  "\\n" line ends) is normalised, the offsets moving with it.
- brat's events, normalisations and equivalences (E, N and * lines) have no place in
  the records, and a file with them is refused rather than imported in part.
- Limits (`ArchiveLimits`): the number of entries of a zip (files of a directory), what
  each unpacks to and what they unpack to together. Sizes are counted while reading, in
  chunks, never taken from a zip's headers, so a zip bomb is refused after a limit and
  a chunk have been read.
"""

import functools
import hashlib
import io
import json
import posixpath
import re
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from annotate.formats import jsonl
from annotate.formats.checks import FormatError, decode_utf8, quote, relation_problem, span_problem, spans_problem
from annotate.formats.losses import Loss, LossReport
from annotate.formats.normalise import normalise_with_offsets
from annotate.formats.records import ArticleRecord, LayerRecord, RelationRecord, SchemeRecord, SpanRecord, UnitRecord
from annotate.formats.zipstream import zip_chunks

EXTENSION = ".zip"
CONTENT_TYPE = "application/zip"
GOLD = "gold"
LINE_BREAKS = "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"
MB = 1024 * 1024
CHUNK_BYTES = 64 * 1024
# A zip's directory holds an entry in 46 bytes and its name, extra fields and comment;
# a brat entry needs far less than this, on average, so a larger directory means more
# entries than the limit (see `_directory_bytes`).
DIRECTORY_BYTES_PER_ENTRY = 1024
METADATA_SUFFIX = ".article.json"
LEFT_OUT = "LEFT-OUT.txt"
LEFT_OUT_HEADER = (
    "Units this export changes: a .ann line cannot hold a line break, so a span loses the line breaks at its\n"
    "edges, and spans with only line breaks between them are read back as one. Offsets are code points.\n"
)

_FRAGMENT = re.compile(f"[^{re.escape(LINE_BREAKS)}]+")
_LINE_BREAK = re.compile(f"[{re.escape(LINE_BREAKS)}]")
_WHITE_SPACE = re.compile(r"\s+")
_BRAT_IDS = {"T": re.compile(r"T[0-9]+"), "R": re.compile(r"R[0-9]+")}


# Export ---------------------------------------------------------------------------------


def annotation_conf(scheme: SchemeRecord) -> str:
    """brat's annotation.conf for `scheme`: every relation type may link any two labels."""
    labels = [_type_name(label.name) for label in scheme.labels]
    any_label = "|".join(labels) or "<ENTITY>"
    lines = ["[entities]", *labels, "", "[relations]"]
    lines += [f"{_type_name(name)}\tArg1:{any_label}, Arg2:{any_label}" for name in scheme.relation_types]
    # Units of one layer may overlap; brat refuses overlapping spans unless told so.
    lines += ["<OVERLAP>\tArg1:<ENTITY>, Arg2:<ENTITY>, <OVL-TYPE>:<ANY>", "", "[events]", "", "[attributes]"]
    holders: dict[str, list[str]] = {}
    values: dict[str, list[str]] = {}
    for label in scheme.labels:
        for key, allowed in label.attributes.items():
            name = attribute_name(key)
            holders.setdefault(name, []).append(_type_name(label.name))
            known = values.setdefault(name, [])
            known += [_type_name(value) for value in allowed if _type_name(value) not in known]
    lines += [f"{name}\tArg:{'|'.join(holders[name])}, Value:{'|'.join(values[name])}" for name in holders]
    return "".join(line + "\n" for line in lines)


def visual_conf(scheme: SchemeRecord) -> str:
    """brat's visual.conf with the labels' colours, or "" when no label has a colour."""
    coloured = [f"{_type_name(label.name)}\tbgColor:{label.colour}" for label in scheme.labels if label.colour]
    if not coloured:
        return ""
    lines = [
        "[labels]",
        "",
        "[drawing]",
        # brat draws nothing without its defaults once a visual.conf is there.
        "SPAN_DEFAULT\tfgColor:black, bgColor:lightgreen, borderColor:darken",
        "ARC_DEFAULT\tcolor:black, arrowHead:triangle-5",
        *coloured,
    ]
    return "".join(line + "\n" for line in lines)


def attribute_name(key: str) -> str:
    """The brat name of an attribute: capitalised, as brat corpora write it ("stance" → "Stance")."""
    return key[:1].upper() + key[1:]


def fragments(text: str, span: SpanRecord) -> list[tuple[int, int]]:
    """The brat fragments of `span`: its pieces between line breaks, which a .ann line cannot hold."""
    return [match.span() for match in _FRAGMENT.finditer(text, span.start, span.end)]


def ann_text(text: str, layer: LayerRecord, *, changed: Callable[[str, UnitRecord, list], object] | None = None) -> str:
    """The .ann file of one layer over `text`. `changed(brat_id, unit, spans)` is called
    for each unit whose spans a reader of the file gets back otherwise, with those spans."""
    unit_ids = _brat_ids([unit.id for unit in layer.units], "T")
    relation_ids = _brat_ids([relation.id for relation in layer.relations], "R")
    lines = []
    attribute_count = 0
    for unit in layer.units:
        spans = unit.spans
        # Most units are one span on one line: written without splitting (a tenth of the time).
        if len(spans) == 1 and not _LINE_BREAK.search(text, spans[0].start, spans[0].end):
            start, end = spans[0].start, spans[0].end
            offsets, quoted = f"{start} {end}", text[start:end]
        else:
            pieces = [piece for span in spans for piece in fragments(text, span)]
            offsets = ";".join(f"{start} {end}" for start, end in pieces)
            quoted = " ".join(text[start:end] for start, end in pieces)
            back = [SpanRecord(start, end) for start, end in _merge(text, sorted(pieces))]
            if changed is not None and back != spans:
                changed(unit_ids[unit.id], unit, back)
        lines.append(f"{unit_ids[unit.id]}\t{_type_name(unit.label)} {offsets}\t{quoted}")
        for key, value in unit.attributes.items():
            if value:
                attribute_count += 1
                lines.append(f"A{attribute_count}\t{attribute_name(key)} {unit_ids[unit.id]} {_type_name(value)}")
    for relation in layer.relations:
        source, target = unit_ids[relation.source], unit_ids[relation.target]
        lines.append(f"{relation_ids[relation.id]}\t{_type_name(relation.type)} Arg1:{source} Arg2:{target}")
    note_count = 0
    for unit in layer.units:
        if unit.note:
            for note_line in _LINE_BREAK.split(unit.note):
                note_count += 1
                lines.append(f"#{note_count}\tAnnotatorNotes {unit_ids[unit.id]}\t{note_line}")
    return "\n".join(lines) + "\n" if lines else ""


def article_name(article: ArticleRecord, used: set[str]) -> str:
    """A file name (without extension) for `article`, unique among `used`, which it joins."""
    ascii_text = unicodedata.normalize("NFKD", f"{article.id} {article.title}").encode("ascii", "ignore").decode()
    name = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:60].rstrip("-") or "article"
    candidate, number = name, 1
    while candidate in used:
        number += 1
        candidate = f"{name}-{number}"
    used.add(candidate)
    return candidate


def metadata_file(article: ArticleRecord) -> str:
    """The `<name>.article.json` of `article`: one line of JSON, every character as it is."""
    return json.dumps(jsonl.metadata_json(article), ensure_ascii=False) + "\n"


def owner_folder(owner: str) -> str:
    """The folder of a layer: the owner's name, made safe as one path component."""
    folder = re.sub(r"[^\w.@+-]", "_", owner) or "_"
    return "_" + folder[1:] if folder.startswith(".") else folder


def entries(
    articles: Iterable[ArticleRecord], *, scheme: SchemeRecord, report: LossReport | None = None
) -> Iterator[tuple[str, str]]:
    """Yield `(path, content)` for every file of the export, reading `articles` lazily;
    the units it changes go to `report` and, last, to LEFT-OUT.txt."""
    left_out: list[str] = []
    yield "annotation.conf", annotation_conf(scheme)
    if visual := visual_conf(scheme):
        yield "visual.conf", visual
    used_names: set[str] = set()
    for article in articles:
        name = article_name(article, used_names)
        if article.layers:
            yield f"{name}{METADATA_SUFFIX}", metadata_file(article)
        for layer in article.layers:
            folder = owner_folder(layer.owner)

            def changed(brat_id: str, unit: UnitRecord, back: list[SpanRecord]) -> None:
                says = f"{brat_id} ({unit.label}) {_offsets(unit.spans)} comes back as {_offsets(back)}"
                loss = Loss(article.id, layer.owner, "line break", brat_id, says)  # noqa: B023 (called at once)
                left_out.append(f"{loss}\n")
                if report is not None:
                    report.add(loss)

            yield f"{folder}/{name}.txt", article.text
            yield f"{folder}/{name}.ann", ann_text(article.text, layer, changed=changed)
    if left_out:
        yield LEFT_OUT, LEFT_OUT_HEADER + "".join(left_out)


def _offsets(spans: list[SpanRecord]) -> str:
    return ", ".join(f"{span.start}–{span.end}" for span in spans)


def export(
    articles: Iterable[ArticleRecord], *, scheme: SchemeRecord, report: LossReport | None = None
) -> Iterator[bytes]:
    """Yield the export as the bytes of a zip, one article's files at a time (constant
    memory but for the lines of LEFT-OUT.txt)."""
    return zip_chunks(entries(articles, scheme=scheme, report=report))


def export_directory(
    articles: Iterable[ArticleRecord], *, scheme: SchemeRecord, path: str | Path, report: LossReport | None = None
) -> None:
    """Write the export's files under the directory `path`, creating folders as needed."""
    root = Path(path)
    for relative, content in entries(articles, scheme=scheme, report=report):
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        # newline="" keeps "\n" as it is on every platform: offsets count it as one character.
        with target.open("w", encoding="utf-8", newline="") as file:
            file.write(content)


@functools.lru_cache(maxsize=256)
def _type_name(name: str) -> str:
    return _WHITE_SPACE.sub("_", name)


def _brat_ids(ids: list[str], prefix: str) -> dict[str, str]:
    pattern = _BRAT_IDS[prefix]
    if len(set(ids)) == len(ids) and all(map(pattern.fullmatch, ids)):
        return {unit_id: unit_id for unit_id in ids}
    return {unit_id: f"{prefix}{number}" for number, unit_id in enumerate(ids, start=1)}


# Import ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ArchiveLimits:
    """How much one brat zip (or directory) may hold, so that an upload cannot make the
    server unpack more than it can hold. Each limit is named in its message by the
    setting that sets it on a server."""

    # ANNOTATE_MAX_UNCOMPRESSED_BYTES: the .ann, .txt and .article.json files together.
    total_bytes: int = 200 * MB
    # ANNOTATE_MAX_ENTRY_BYTES: any one of them.
    entry_bytes: int = 20 * MB
    # ANNOTATE_MAX_ARCHIVE_ENTRIES: every entry of a zip, every file of a directory.
    entries: int = 10_000

    def too_many(self, count: int | None, *, file_name: str, archive: bool = True) -> FormatError:
        """`count` None: more entries than the limit, by the size of the zip's directory."""
        what, items = ("archive", "entries") if archive else ("directory", "files")
        holds = f"{count:,} {items}, more than {self.entries:,}" if count else f"more than {self.entries:,} {items}"
        return FormatError(
            f"the {what} holds {holds} (the limit, ANNOTATE_MAX_ARCHIVE_ENTRIES)",
            file_name=file_name,
        )

    def entry_too_large(self, name: str, *, file_name: str, archive: bool = True) -> FormatError:
        item = "entry {name} unpacks to" if archive else "file {name} holds"
        return FormatError(
            f"the {item.format(name=name)} more than {size_in_words(self.entry_bytes)} "
            "(the limit, ANNOTATE_MAX_ENTRY_BYTES)",
            file_name=file_name,
        )

    def too_large(self, name: str, *, file_name: str, archive: bool = True) -> FormatError:
        what, item = ("archive unpacks to", "entry") if archive else ("directory holds", "file")
        return FormatError(
            f"the {what} more than {size_in_words(self.total_bytes)} "
            f"(the limit, ANNOTATE_MAX_UNCOMPRESSED_BYTES); reading stopped in the {item} {name}",
            file_name=file_name,
        )


def size_in_words(count: int) -> str:
    """A byte count as the settings are usually given: "20 MB", "64 KB", "1,500 bytes"."""
    if count % MB == 0:
        return f"{count // MB} MB"
    if count % 1024 == 0:
        return f"{count // 1024} KB"
    return f"{count:,} bytes"


def parse_zip(
    content: bytes | BinaryIO, *, file_name: str, owner: str | None = None, limits: ArchiveLimits = ArchiveLimits()
) -> list[ArticleRecord]:
    """Read the .ann/.txt pairs of a zip (see `parse_files`).

    Refused: an entry whose path is absolute or climbs out with "..", more entries than
    `limits` allow, and (while reading, see `ArchiveLimits`) an entry or a whole that
    unpacks to more than they allow.
    """
    file = io.BytesIO(content) if isinstance(content, bytes) else content
    try:
        directory_bytes = _directory_bytes(file)
        if directory_bytes > limits.entries * DIRECTORY_BYTES_PER_ENTRY:
            raise limits.too_many(None, file_name=file_name)
        archive = zipfile.ZipFile(file)
    except (zipfile.BadZipFile, OSError):
        raise FormatError("not a zip file", file_name=file_name) from None
    with archive:
        infos = [info for info in archive.infolist() if not info.is_dir()]
        if len(archive.infolist()) > limits.entries:
            raise limits.too_many(len(archive.infolist()), file_name=file_name)
        for info in infos:
            _check_path(info.filename, file_name=file_name)
        wanted = set(_annotated_files([info.filename for info in infos]))
        reader = _Reader(limits, file_name=file_name)
        files = []
        for info in infos:
            if info.filename not in wanted:
                continue
            try:
                with archive.open(info) as entry:
                    files.append((info.filename, reader.read(entry, name=info.filename)))
            except (zipfile.BadZipFile, NotImplementedError, RuntimeError, EOFError, zlib.error) as error:
                raise FormatError(f"the entry {info.filename} cannot be read ({error})", file_name=file_name) from None
    return parse_files(files, file_name=file_name, owner=owner)


def parse_directory(
    path: str | Path, *, owner: str | None = None, limits: ArchiveLimits = ArchiveLimits()
) -> list[ArticleRecord]:
    """Read the .ann/.txt pairs under the directory `path` (see `parse_files`), within
    `limits` as a zip is: its files count as entries."""
    root = Path(path)
    names = sorted(file.relative_to(root).as_posix() for file in root.rglob("*") if file.is_file())
    if len(names) > limits.entries:
        raise limits.too_many(len(names), file_name=str(root), archive=False)
    reader = _Reader(limits, file_name=str(root), archive=False)
    files = []
    for name in _annotated_files(names):
        with (root / name).open("rb") as file:
            files.append((name, reader.read(file, name=name)))
    return parse_files(files, file_name=str(root), owner=owner)


def _directory_bytes(file: BinaryIO) -> int:
    """The size of a zip's central directory, from its end record.

    zipfile builds an object for every entry of the directory before anyone can count
    them, reading records until it has read this many bytes (whatever count the end
    record declares): a 35 MB zip of 400,000 empty entries costs 220 MB. Checking the
    size first bounds that work by the entry limit."""
    end = zipfile._EndRecData(file)  # the reader ZipFile itself uses, zip64 included
    if end is None:
        raise zipfile.BadZipFile
    return end[zipfile._ECD_SIZE]


class _Reader:
    """Reads the entries of one archive (or the files of one directory) in chunks,
    counting what they unpack to, and stops as soon as a count passes its limit: a zip
    bomb is refused after at most a limit and a chunk, whatever its headers declare."""

    def __init__(self, limits: ArchiveLimits, *, file_name: str, archive: bool = True) -> None:
        self.limits = limits
        self.file_name = file_name
        self.archive = archive
        self.total = 0

    def read(self, file: BinaryIO, *, name: str) -> bytes:
        chunks, size = [], 0
        while chunk := file.read(CHUNK_BYTES):
            size += len(chunk)
            self.total += len(chunk)
            if size > self.limits.entry_bytes:
                raise self.limits.entry_too_large(name, file_name=self.file_name, archive=self.archive)
            if self.total > self.limits.total_bytes:
                raise self.limits.too_large(name, file_name=self.file_name, archive=self.archive)
            chunks.append(chunk)
        return b"".join(chunks)


def parse_files(
    files: Iterable[tuple[str, bytes | str]],
    *,
    file_name: str,
    owner: str | None = None,
) -> list[ArticleRecord]:
    """Read `(path, content)` pairs, e.g. an `essay001.ann` and its `essay001.txt`.

    `file_name` names the whole upload in messages about it. `owner` names every
    layer's owner; by default the folder of each .ann does ("gold" at the top level).
    Raises `FormatError` naming the file and line of the first problem; nothing is
    returned then.
    """
    contents: dict[str, bytes | str] = {}
    for name, content in files:
        _check_path(name, file_name=file_name)
        contents[name.replace("\\", "/")] = content
    wanted = _annotated_files(list(contents))
    ann_paths = [name for name in wanted if name.endswith(".ann")]
    if not ann_paths:
        raise FormatError("there is no .ann file in it", file_name=file_name)
    articles: dict[str, ArticleRecord] = {}
    text_paths: dict[str, str] = {}
    for ann_path in ann_paths:
        stem = ann_path.removesuffix(".ann")
        text_path = stem + ".txt"
        raw_text = decode_utf8(contents[text_path], file_name=text_path)
        ann = decode_utf8(contents[ann_path], file_name=ann_path)
        layer_owner = owner or posixpath.basename(posixpath.dirname(stem)) or GOLD
        text, layer = _read_layer(ann, raw_text, file_name=ann_path, owner=layer_owner)
        name = posixpath.basename(stem)
        article = articles.setdefault(name, ArticleRecord(title=name, text=text, source=text_path))
        text_paths.setdefault(name, text_path)
        if article.text != text:
            raise FormatError(f"the text differs from {text_paths[name]}, the same article", file_name=text_path)
        if any(other.owner == layer.owner for other in article.layers):
            raise FormatError(f"a second layer of {name} for {layer.owner}", file_name=ann_path)
        article.layers.append(layer)
    for name, article in articles.items():
        if (metadata := contents.get(name + METADATA_SUFFIX)) is not None:
            for key, value in jsonl.parse_metadata(metadata, file_name=name + METADATA_SUFFIX).items():
                setattr(article, key, value)
        else:
            article.title = title_from_name(name, article.text)
    return list(articles.values())


def title_from_name(name: str, text: str) -> str:
    """An article's title from its file name `name`, less the id prefix an export wrote
    (`article_name`): the first 12 hex digits of the SHA-256 of `text`, and a "-"."""
    prefix = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12] + "-"
    return name.removeprefix(prefix) or name


def _check_path(name: str, *, file_name: str) -> None:
    path = name.replace("\\", "/")
    if path.startswith("/") or re.match(r"[A-Za-z]:", path) or ".." in path.split("/"):
        raise FormatError(f"the entry {name} has an unsafe path", file_name=file_name)


def _annotated_files(names: list[str]) -> list[str]:
    """The .ann files (in the given order) and the .txt beside each, skipping hidden
    files and macOS resource forks; then the articles' `.article.json` files there are."""
    present = set(names)
    chosen = []
    for name in names:
        parts = name.split("/")
        if not name.endswith(".ann") or any(part.startswith(".") or part == "__MACOSX" for part in parts):
            continue
        text_name = name.removesuffix(".ann") + ".txt"
        if text_name not in present:
            raise FormatError(f"there is no {posixpath.basename(text_name)} beside it", file_name=name)
        chosen += [name, text_name]
    # An article's metadata sits at the top level, once for all its layers.
    metadata = {posixpath.basename(name.removesuffix(".ann")) + METADATA_SUFFIX for name in chosen[::2]}
    return chosen + sorted(metadata & present)


# An offset of more than 20 digits is no offset (and Python refuses to read one of 4,300).
_OFFSET = "[0-9]{1,20}"
_OFFSETS = rf"{_OFFSET} {_OFFSET}(?:;{_OFFSET} {_OFFSET})*"
_T_LINE = re.compile(rf"(?P<id>T\w+)\t(?P<label>\S+) (?P<offsets>{_OFFSETS})\t(?P<text>.*)")
_A_LINE = re.compile(r"(?P<id>[AM]\w+)\t(?P<name>\S+) (?P<target>\S+)(?: (?P<value>\S+))?[\t ]*")
# Corpora (the Argument Annotated Essays among them) end R lines with a stray tab.
_R_LINE = re.compile(r"(?P<id>R\w+)\t(?P<type>\S+) Arg1:(?P<source>\S+) Arg2:(?P<target>\S+)[\t ]*")
_NOTE_LINE = re.compile(r"(?P<id>#\w*)\tAnnotatorNotes (?P<target>\S+)(?:\t(?P<note>.*))?")
# brat's old M lines are attributes under another letter.
_PATTERNS = {"T": _T_LINE, "A": _A_LINE, "M": _A_LINE, "R": _R_LINE, "#": _NOTE_LINE}


def _read_layer(ann: str, raw_text: str, *, file_name: str, owner: str) -> tuple[str, LayerRecord]:
    """The text (BOM dropped, normalised) and the layer that the .ann file `file_name` holds over `raw_text`."""

    def error(number: int, problem: str) -> FormatError:
        return FormatError(problem, file_name=file_name, line=number)

    text, move = normalise_with_offsets(raw_text.removeprefix("\ufeff"))
    units: dict[str, UnitRecord] = {}
    # Attributes, relations and notes may come before the units they name, so they wait.
    attributes: list[tuple[int, re.Match]] = []
    relations: list[tuple[int, RelationRecord]] = []
    notes: list[tuple[int, str, str]] = []
    seen_ids: set[str] = set()
    # Split on "\n" only: a quoted text may hold other characters that splitlines splits at.
    for number, line in enumerate(ann.split("\n"), start=1):
        line = line.removesuffix("\r")
        if not line.strip():
            continue
        pattern = _PATTERNS.get(line[0])
        match = pattern.fullmatch(line) if pattern else None
        if match is None and line[0] in "EN*":
            raise error(number, f"brat {line[0]} lines (events, normalisations, equivalences) are not supported")
        if match is None:
            raise error(number, f"malformed line {quote(line)}")
        if match["id"] in seen_ids:
            raise error(number, f"the id {match['id']} is used twice")
        seen_ids.add(match["id"])
        if line[0] == "T":
            try:
                spans = _spans(match, raw_text, text, move)
            except _Problem as problem:
                raise error(number, str(problem)) from None
            units[match["id"]] = UnitRecord(match["id"], match["label"], spans)
        elif line[0] in "AM":
            attributes.append((number, match))
        elif line[0] == "R":
            relations.append((number, RelationRecord(match["id"], match["type"], match["source"], match["target"])))
        else:
            notes.append((number, match["target"], match["note"] or ""))
    for number, match in attributes:
        if match["target"] not in units:
            raise error(number, f"attribute {match['id']}: {match['target']} is not a unit in this file")
        unit = units[match["target"]]
        key = match["name"][:1].lower() + match["name"][1:]
        if key in unit.attributes:
            raise error(number, f"attribute {match['id']}: {unit.id} has a second {match['name']} attribute")
        unit.attributes[key] = match["value"] or "true"
    linked: set[tuple[str, str]] = set()
    for number, relation in relations:
        if problem := relation_problem(relation.source, relation.target, unit_ids=set(units), linked=linked):
            raise error(number, f"relation {relation.id}: {problem}")
    note_lines: dict[str, list[str]] = {}
    for number, unit_id, note in notes:
        if unit_id not in units:
            raise error(number, f"the note is on {unit_id}, which is not a unit in this file")
        note_lines.setdefault(unit_id, []).append(note)
    for unit_id, lines in note_lines.items():
        units[unit_id].note = "\n".join(lines)
    layer = LayerRecord(owner=owner, units=list(units.values()), relations=[relation for _, relation in relations])
    return text, layer


class _Problem(Exception):
    """A problem with one line; the caller adds the file name and line number."""


def _spans(match: re.Match, raw_text: str, text: str, move: Callable[[int], int | None]) -> list[SpanRecord]:
    """The spans of a T line: its offsets checked against `raw_text` (the .txt as decoded),
    fragments merged, and moved into `text` (the .txt as stored)."""
    pieces = [(int(start), int(end)) for start, end in (piece.split(" ") for piece in match["offsets"].split(";"))]
    # brat counts a byte-order mark as a character; the stored text does not have it.
    bom = 1 if raw_text.startswith("\ufeff") else 0
    for start, end in pieces:
        if problem := span_problem(raw_text, start, end):
            raise _Problem(problem)
        if start < bom:
            raise _Problem(f"offsets {start}–{end} include the byte-order mark at the start of the text")
    expected = " ".join(raw_text[start:end] for start, end in pieces)
    if match["text"] != expected:
        raise _Problem(
            f"the quoted text {quote(match['text'])} does not match the text at {match['offsets']} ({quote(expected)})"
        )
    spans = []
    for start, end in _merge(raw_text, sorted(pieces)):
        moved = (move(start - bom), move(end - bom))
        if None in moved:
            raise _Problem(f"offsets {start}–{end} fall inside characters that normalisation changes")
        spans.append(moved)
    if problem := spans_problem(text, spans):
        raise _Problem(problem)
    return [SpanRecord(start, end) for start, end in spans]


def _merge(text: str, pieces: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Fragments → spans: consecutive fragments with only line breaks between them are one span."""
    spans: list[tuple[int, int]] = []
    for start, end in pieces:
        if spans and start > spans[-1][1] and all(char in LINE_BREAKS for char in text[spans[-1][1] : start]):
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
    return spans
