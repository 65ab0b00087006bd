"""Imports that scale: a JSON Lines file is read line by line, twice (to check every
record, then to plan and write them in batches), and never held whole.

What is shown here: the rows written are those the file says, across many batches, as
the exports of the project read them back; memory holds a batch, not the file (a
bound far below the file's size, which reading the file whole could not meet); the
progress counts the bytes read from the first line, long before the file is read
through; a problem in the last batch undoes the batches written before it.
"""

import gc
import os
import tracemalloc
from dataclasses import replace
from functools import partial

import orjson
import pytest

from annotate import datasets
from annotate.datasets.imports import WRITE_BATCH
from annotate.formats import jsonl
from annotate.formats.checks import FormatError
from annotate.models import ArgumentUnit, Article, Change, Job, Layer, Relation
from tests.factories import make_user
from tests.test_dataset_round_trip import export_bytes, project_with
from tests.test_hostile_imports import counts
from tests.test_import_tasks import SECTION, text_of

UNITS = [("Claim", "cars"), ("Premise", "air"), ("Premise", "streets")]


def article_line(number: int, *, owner: str = "ann", padding: int = 0) -> bytes:
    """An article with one layer of three units and a relation, and `padding` more
    characters of text."""
    text = f"Op-ed {number}: ban cars, clean air, quiet streets. " + "Words and more words. " * (padding // 22)
    units = []
    for index, (label, word) in enumerate(UNITS, start=1):
        start = text.index(word)
        units.append({"id": f"T{index}", "label": label, "spans": [[start, start + len(word)]], "text": [word]})
    relation = {"id": "R1", "type": "supports", "source": "T2", "target": "T1"}
    layer = {"owner": owner, "status": "finished", "units": units, "relations": [relation]}
    return orjson.dumps({"title": f"Op-ed {number}", "text": text, "layers": [layer]}) + b"\n"


def write_file(path, articles: int, **options) -> int:
    with open(path, "wb") as file:
        for number in range(articles):
            file.write(article_line(number, **options))
    return path.stat().st_size


def source(path, **options) -> datasets.Source:
    return datasets.upload_source(partial(open, path, "rb"), file_name=path.name, size=path.stat().st_size, **options)


@pytest.fixture
def people(db):
    return {"manager": make_user("manager"), "annotators": [make_user("ann"), make_user("bob")]}


def test_a_file_of_many_batches_imports_the_rows_it_says(people, tmp_path):
    """Written in batches and exported again, the file comes back byte for byte: every
    article, layer, unit and relation, in order."""
    articles = 2 * WRITE_BATCH + 7
    path = tmp_path / "opeds.jsonl"
    write_file(path, articles)
    target = project_with("target", manager=people["manager"], annotators=people["annotators"])

    report = datasets.import_files(project=target, sources=[source(path)], user=people["manager"])

    assert (report.problems, report.written, report.plans) == ([], True, [])
    assert report.counts == {
        "articles": articles, "already there": 0, "layers": articles, "units": 3 * articles,
        "relations": articles, "existing layers skipped": 0,
    }  # fmt: skip
    assert without_ids(export_bytes(target, "jsonl")) == jsonl.parse(path.read_bytes(), file_name=path.name)


def without_ids(exported: bytes) -> list:
    """The exported articles, without the ids the project gave them."""
    return [replace(record, id="") for record in jsonl.parse(exported, file_name="export.jsonl")]


def test_the_same_records_read_whole_or_line_by_line(tmp_path):
    path = tmp_path / "opeds.jsonl"
    write_file(path, 30)

    whole = jsonl.parse(path.read_bytes(), file_name="opeds.jsonl")
    streamed = list(jsonl.read(open(path, "rb"), file_name="opeds.jsonl"))

    assert streamed == whole
    assert [record.line for record in streamed] == [record.line for record in whole] == list(range(1, 31))


def test_a_problem_in_the_last_batch_undoes_the_batches_written_before_it(people, tmp_path):
    path = tmp_path / "opeds.jsonl"
    write_file(path, 2 * WRITE_BATCH)
    with open(path, "ab") as file:
        file.write(article_line(9999, owner="nobody"))
    target = project_with("target", manager=people["manager"], annotators=people["annotators"])
    before = counts()

    report = datasets.import_files(project=target, sources=[source(path)], user=people["manager"])

    where = f"Article {2 * WRITE_BATCH + 1} (“Op-ed 9999”), layer nobody"
    assert (report.written, report.problems) == (
        False,
        [f"{where}: “nobody” is not an annotator of this project (add them on the Members page first)."],
    )
    assert counts() == before


def test_memory_holds_a_batch_not_the_file(people, tmp_path):
    """The import of a file of ~24 MB peaks far below its size: reading it whole would
    hold its bytes, then its records, at once."""
    path = tmp_path / "opeds.jsonl"
    size = write_file(path, 3 * WRITE_BATCH * 4, padding=7_500)
    target = project_with("target", manager=people["manager"], annotators=people["annotators"])
    gc.collect()

    tracemalloc.start()
    try:
        report = datasets.import_files(project=target, sources=[source(path)], user=people["manager"])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert (report.problems, report.written) == ([], True)
    assert size > 20_000_000
    assert peak < size // 3, f"peak {peak:,} bytes for a file of {size:,}"


def test_the_first_reading_holds_one_record_at_a_time(people, tmp_path):
    """However long the file, the survey keeps no record: at most two are alive at once
    (the one just read, and the one before it, until the loop's name moves on)."""
    path = tmp_path / "opeds.jsonl"
    write_file(path, 500)
    project = project_with("target", manager=people["manager"], annotators=people["annotators"])
    alive = []

    def counting(open_file):
        with open_file() as file:
            for record in jsonl.read(file, file_name="opeds.jsonl"):
                gc.collect()
                alive.append(sum(isinstance(thing, type(record)) for thing in gc.get_objects()))
                yield record

    found = datasets.survey_files(
        project=project, sources=[datasets.Source("opeds.jsonl", 0, lambda _: counting(partial(open, path, "rb")))]
    )

    assert (found.articles, found.problems, found.storage_problems) == (500, [], [])
    assert max(alive) == 2


def test_progress_counts_the_bytes_read_before_the_file_is_read_through(people, tmp_path):
    """The first reports come while the file's descriptor has read only its first
    block: what the job's page shows from the first second."""
    path = tmp_path / "opeds.jsonl"
    size = write_file(path, 2_000, padding=2_000)
    project = project_with("target", manager=people["manager"], annotators=people["annotators"])
    opened, seen = [], []

    def open_file():
        file = open(path, "rb")
        opened.append(file)
        return file

    def progress(phase, done, total):
        file = opened[-1]
        position = None if file.closed else os.lseek(file.fileno(), 0, os.SEEK_CUR)  # read from the disk so far
        seen.append((phase, done, total, position))

    datasets.survey_files(
        project=project,
        sources=[datasets.upload_source(open_file, file_name="opeds.jsonl", size=size)],
        progress=progress,
    )

    assert seen[0][:3] == ("reading", 0, size // 1024)
    assert seen[0][3] <= 64 * 1024  # one block of a file of megabytes
    assert seen[-1][:3] == ("reading", size // 1024, size // 1024)
    done = [kb for phase, kb, total, position in seen]
    assert done == sorted(done)
    assert len({kb for kb in done if 0 < kb < size // 1024}) > 100


def test_the_job_page_counts_the_kilobytes_read(project, manager, client):
    job = Job.objects.create(
        project=project, kind="import", status="running", phase="reading", done=2048, total=411_328
    )
    client.force_login(manager)

    page = client.get(f"/p/{project.slug}/jobs/{job.pk}/", headers={"HX-Request": "true"}).content.decode()

    assert text_of(SECTION.search(page).group(0)) == "Reading the files 2,048 of 411,328 kB read Cancel import"


def test_import_files_rows_match_import_records(people, tmp_path):
    """The web page's import (records read whole) and the worker's (the file read line
    by line) write the same rows."""
    path = tmp_path / "opeds.jsonl"
    write_file(path, WRITE_BATCH + 3)
    streamed = project_with("streamed", manager=people["manager"], annotators=people["annotators"])
    whole = project_with("whole", manager=people["manager"], annotators=people["annotators"])

    datasets.import_files(project=streamed, sources=[source(path)], user=people["manager"])
    datasets.import_records(
        project=whole, records=jsonl.parse(path.read_bytes(), file_name=path.name), user=people["manager"]
    )

    assert export_bytes(streamed, "jsonl") == export_bytes(whole, "jsonl")
    assert [
        model.objects.filter(**{lookup: project})
        .filter(**({"action__in": ["article.import", "layer.import"]} if model is Change else {}))
        .count()
        for project in (streamed, whole)
        for model, lookup in (
            (Article, "project"),
            (Layer, "article__project"),
            (ArgumentUnit, "layer__article__project"),
            (Relation, "layer__article__project"),
            (Change, "project"),
        )
    ] == [WRITE_BATCH + 3, WRITE_BATCH + 3, 3 * (WRITE_BATCH + 3), WRITE_BATCH + 3, 2 * (WRITE_BATCH + 3)] * 2


def test_a_line_past_the_limit_is_refused_having_read_no_more_than_the_limit(tmp_path):
    path = tmp_path / "opeds.jsonl"
    path.write_bytes(article_line(0) + b'{"title": "Long", "text": "' + b"x" * 30_000_000 + b'"}\n')
    read = []
    tracemalloc.start()
    try:
        with open(path, "rb") as file, pytest.raises(FormatError) as refused:
            read.extend(jsonl.read(file, file_name="opeds.jsonl", max_line_bytes=1_000_000, limit_words="1 MB"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert (str(refused.value), len(read)) == ("opeds.jsonl line 2: the line is longer than 1 MB", 1)
    assert peak < 3_000_000  # the line is 30 MB
