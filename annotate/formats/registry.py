"""Every dataset format in one table, for the export and import pages and the commands.

A `Format` says its name (as given to `--format`), its label in the UI, the file
extension and content type of an export, the file extensions it imports, and the
options of its export. Two functions give every format the same signature:

- `exporter(name)(articles, *, scheme=None, report=None, **options)` yields the export
  in chunks, `str` or (for the zip formats, `Format.binary`) `bytes`, reading the
  iterable of `ArticleRecord` lazily. brat needs the project's scheme for its
  annotation.conf. A format that cannot write every layer's shape (`Format.lossy`:
  CoNLL, brat) adds what it leaves out to `report`, a `losses.LossReport`, as it writes.
- `importer(name)(content, *, file_name, **options)` returns the `ArticleRecord`s of
  one uploaded file, or raises `FormatError` naming the file and line.

`for_file(file_name)` picks the import format from a file's extension.
"""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from annotate.formats import aif, brat, conll, csv_rows, html, jsonl
from annotate.formats.checks import FormatError, decode_utf8
from annotate.formats.losses import LossReport
from annotate.formats.plaintext import parse_plain_text, title_from_file_name
from annotate.formats.records import ArticleRecord, SchemeRecord


@dataclass(frozen=True)
class Format:
    name: str
    label: str
    # Of an export file; empty for a format that only imports.
    extension: str = ""
    content_type: str = ""
    export: Callable[..., Iterator[str] | Iterator[bytes]] | None = None
    parse: Callable[..., list[ArticleRecord]] | None = None
    import_extensions: tuple[str, ...] = ()
    # Export options, all yes/no: name → label for the UI.
    options: dict[str, str] = field(default_factory=dict)
    needs_scheme: bool = False
    binary: bool = False
    # Whether some layers' shapes cannot be written whole (see annotate/formats/losses.py);
    # then what happens to them and where the file lists them, for the export page.
    lossy: bool = False
    losses_rule: str = ""
    losses_listed: str = ""

    @property
    def exports(self) -> bool:
        return self.export is not None

    @property
    def imports(self) -> bool:
        return self.parse is not None


def _parse_text(content: bytes | str, *, file_name: str) -> list[ArticleRecord]:
    """A .txt or .md article, cleaned as `plaintext.parse_plain_text` says; a one-line
    article is titled after its file name (`plaintext.title_from_file_name`)."""
    raw = decode_utf8(content, file_name=file_name).removeprefix("\ufeff")
    record = parse_plain_text(raw, fallback_title=title_from_file_name(file_name)).record
    if not record.text:
        raise FormatError("the file holds no article text", file_name=file_name)
    return [record]


def _parse_html(content: bytes | str, *, file_name: str) -> list[ArticleRecord]:
    return [html.parse_html(content, file_name=file_name)]


FORMATS = {
    format.name: format
    for format in [
        Format(
            name="jsonl",
            label="Native JSON Lines (lossless)",
            extension=jsonl.EXTENSION,
            content_type=jsonl.CONTENT_TYPE,
            export=jsonl.export,
            parse=jsonl.parse,
            import_extensions=(".jsonl",),
        ),
        Format(
            name="brat",
            label="brat standoff (zip)",
            extension=brat.EXTENSION,
            content_type=brat.CONTENT_TYPE,
            export=brat.export,
            parse=brat.parse_zip,
            import_extensions=(".zip",),
            needs_scheme=True,
            binary=True,
            lossy=True,
            losses_rule=(
                "A span that starts or ends with a line break comes back without it, and spans with only line "
                "breaks between them come back as one."
            ),
            losses_listed="The zip's LEFT-OUT.txt lists each.",
        ),
        Format(
            name="conll",
            label="CoNLL / BIO tokens",
            extension=conll.EXTENSION,
            content_type=conll.CONTENT_TYPE,
            export=conll.export,
            lossy=True,
            losses_rule=(
                "A nested or overlapping unit is left out, a discontinuous unit or one across a paragraph break is "
                "written as its first piece, and a relation to or from a unit not written, or a second from one "
                "unit, is left out."
            ),
            losses_listed="The file's header lists each (# left out: …).",
            options={
                "stance": "Stance on claims (B-Claim:For)",
                "relations": "Relation as distance to its target (B-Premise:-1:Support)",
            },
        ),
        Format(
            name="csv",
            label="CSV, one row per span",
            extension=csv_rows.EXTENSION,
            content_type=csv_rows.CONTENT_TYPE,
            export=csv_rows.export,
        ),
        Format(
            name="aif",
            label="AIF JSON (AIFdb, OVA; zip)",
            extension=aif.EXTENSION,
            content_type=aif.CONTENT_TYPE,
            export=aif.export,
            binary=True,
        ),
        Format(name="html", label="Web page (HTML)", parse=_parse_html, import_extensions=html.EXTENSIONS),
        Format(name="text", label="Plain text or Markdown", parse=_parse_text, import_extensions=(".txt", ".md")),
    ]
}


def get(name: str) -> Format:
    """The format called `name`; `ValueError` for an unknown one."""
    try:
        return FORMATS[name]
    except KeyError:
        raise ValueError(f"unknown format {name!r} (known: {', '.join(FORMATS)})") from None


def exporter(name: str) -> Callable[..., Iterator[str] | Iterator[bytes]]:
    """The export function of format `name`: `(articles, *, scheme=None, report=None, **options)` → chunks."""
    format = get(name)
    if format.export is None:
        raise ValueError(f"{format.label} cannot be exported")

    def export(
        articles: Iterable[ArticleRecord],
        *,
        scheme: SchemeRecord | None = None,
        report: LossReport | None = None,
        **options: bool,
    ) -> Iterator[str] | Iterator[bytes]:
        if unknown := set(options) - set(format.options):
            raise TypeError(f"{format.name} has no option {', '.join(sorted(unknown))}")
        if format.needs_scheme:
            if scheme is None:
                raise TypeError(f"{format.name} needs the project's scheme")
            options["scheme"] = scheme
        if format.lossy:
            options["report"] = report
        return format.export(articles, **options)

    return export


def importer(name: str) -> Callable[..., list[ArticleRecord]]:
    """The import function of format `name`: `(content, *, file_name, **options)` → records."""
    format = get(name)
    if format.parse is None:
        raise ValueError(f"{format.label} cannot be imported")
    return format.parse


def for_file(file_name: str) -> Format:
    """The import format of a file, by its extension; `FormatError` when none reads it."""
    extension = PurePosixPath(file_name.replace("\\", "/")).suffix.lower()
    for format in FORMATS.values():
        if extension in format.import_extensions:
            return format
    known = ", ".join(extension for format in FORMATS.values() for extension in format.import_extensions)
    raise FormatError(
        f"no import format reads {extension or 'files without an extension'} (known: {known})", file_name=file_name
    )
