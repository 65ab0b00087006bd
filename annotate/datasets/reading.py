"""The files of an import, read twice and never held whole.

An import reads its files once to check them (`survey`): every record is parsed and
looked at on its own, and only small facts are kept (the problems, what the scheme
lacks, how many articles there are), never a text. If nothing is wrong it reads them
again to plan and write them in batches (`imports.import_surveyed`). A JSON Lines file is
read line by line (`jsonl.read`) and a brat zip member by member from its stored file,
so what memory holds does not grow with the size of a JSON Lines file; a zip's
records are bounded by what it may unpack to (ANNOTATE_MAX_UNCOMPRESSED_BYTES).
"""

from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from itertools import chain, islice
from typing import BinaryIO

from django.conf import settings

from annotate.formats import brat, jsonl, registry
from annotate.formats.checks import FormatError
from annotate.formats.records import ArticleRecord, LabelRecord, SchemeRecord
from annotate.formats.scheme_check import check_scheme

# progress(bytes of this file read so far)
ByteProgress = Callable[[int], object]


@dataclass
class Source:
    """One file of an import: its name, its size in bytes (0 when unknown), and
    `read(progress)`, which yields its records afresh each time it is called and raises
    `FormatError` at the first problem."""

    file_name: str
    size: int
    read: Callable[[ByteProgress | None], Iterable[ArticleRecord]]


def upload_source(
    open_file: Callable[[], AbstractContextManager[BinaryIO]],
    *,
    file_name: str,
    size: int,
    owner: str = "",
    format_name: str | None = None,
) -> Source:
    """A stored or uploaded file, read in the format `format_name` (by default the one
    its extension says); `open_file()` opens it anew for each reading. `owner` names the
    layers of a brat zip (otherwise each folder names its annotator)."""

    def read(progress: ByteProgress | None) -> Iterator[ArticleRecord]:
        format = registry.get(format_name) if format_name else registry.for_file(file_name)
        with open_file() as file:
            if format.name == "jsonl":
                limit = settings.ANNOTATE_MAX_ENTRY_BYTES  # a line is one article, as an entry of a zip
                records: Iterable[ArticleRecord] = jsonl.read(
                    file,
                    file_name=file_name,
                    progress=progress,
                    max_line_bytes=limit,
                    limit_words=f"{brat.size_in_words(limit)} (the limit, ANNOTATE_MAX_ENTRY_BYTES)",
                )
            elif format.name == "brat":
                records = format.parse(file, file_name=file_name, owner=owner or None, limits=archive_limits())
            else:
                records = format.parse(file.read(), file_name=file_name)
            for record in records:
                record.source = record.source or file_name
                yield record

    return Source(file_name, size, read)


def records_source(records: list[ArticleRecord]) -> Source:
    """Records already read, as one source."""
    return Source("", 0, lambda progress: records)


def archive_limits() -> brat.ArchiveLimits:
    """What a brat zip or directory may unpack to, as the settings say (docs/formats.md)."""
    return brat.ArchiveLimits(
        total_bytes=settings.ANNOTATE_MAX_UNCOMPRESSED_BYTES,
        entry_bytes=settings.ANNOTATE_MAX_ENTRY_BYTES,
        entries=settings.ANNOTATE_MAX_ARCHIVE_ENTRIES,
    )


@dataclass
class Survey:
    """What the first reading of an import's files found, without a single text.

    `sources`: the files every record of which was read; `problems`: one for each file
    that no format reads, or that has a problem (its records count for nothing);
    `storage_problems`: the first thing in each record that the database cannot store
    (`imports.storage_problems`). With unknown="skip" or "add": `skipped` and
    `additions` as `check_scheme` finds them against `scheme`, the project's scheme
    when the files were read.
    """

    scheme: SchemeRecord
    unknown: str
    sources: list[Source] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    storage_problems: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    additions: SchemeRecord = field(default_factory=SchemeRecord)
    articles: int = 0

    def records(self) -> Iterator[ArticleRecord]:
        """The records of the files read whole, read again."""
        return chain.from_iterable(source.read(None) for source in self.sources)

    def add(self, other: "Survey") -> None:
        """Count in what a survey of one more file found."""
        self.sources += other.sources
        self.problems += other.problems
        self.storage_problems += other.storage_problems
        self.skipped += other.skipped
        _merge_additions(self.additions, other.additions)
        self.articles += other.articles


def survey(
    sources: list[Source],
    *,
    scheme: SchemeRecord,
    unknown: str,
    storage_problem: Callable[[ArticleRecord, int], str | None],
    progress: Callable[[str, int, int], object] | None = None,
) -> Survey:
    """Read every record of `sources` once, keeping only what `Survey` says.
    `storage_problem(record, number)` is the first thing in the record the database
    cannot store. `progress("reading", kB read, kB)` is called as the files are read."""
    total = Survey(scheme=scheme, unknown=unknown)
    size = sum(source.size for source in sources)
    before = 0
    for source in sources:

        def read_so_far(done: int, before: int = before) -> None:
            if progress is not None and size:
                progress("reading", (before + done) // 1024, size // 1024)

        one = Survey(scheme=scheme, unknown=unknown, sources=[source])
        try:
            for record in source.read(read_so_far):
                one.articles += 1
                if problem := storage_problem(record, total.articles + one.articles):
                    one.storage_problems.append(problem)
                if unknown != "fail":
                    check = check_scheme([record], scheme=scheme, unknown=unknown, file_name="import")
                    one.skipped += check.skipped
                    _merge_additions(one.additions, check.additions)
        except FormatError as error:
            one = Survey(scheme=scheme, unknown=unknown, problems=[str(error)])
        read_so_far(source.size)
        total.add(one)
        before += source.size
    return total


def _merge_additions(into: SchemeRecord, more: SchemeRecord) -> None:
    """Add to `into` what `more` adds, in the order `check_scheme` would have found it
    reading both at once."""
    for label in more.labels:
        merged = into.label(label.name)
        if merged is None:
            merged = LabelRecord(name=label.name)
            into.labels.append(merged)
        for name, values in label.attributes.items():
            known = merged.attributes.setdefault(name, [])
            known += [value for value in values if value not in known]
    into.relation_types += [name for name in more.relation_types if name not in into.relation_types]


def batches(records: Iterable[ArticleRecord], size: int) -> Iterator[list[ArticleRecord]]:
    """`records` in lists of `size` (the last one shorter)."""
    records = iter(records)
    while batch := list(islice(records, size)):
        yield batch
