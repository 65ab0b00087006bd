"""Reading a long JSON Lines file says how far it got, line by line."""

import pytest

from annotate.formats import jsonl
from annotate.formats.checks import FormatError

LINES = b'{"title": "One", "text": "First."}\n\n{"title": "Two", "text": "Second."}\n'


def test_jsonl_reports_each_line_before_reading_it():
    seen = []

    records = jsonl.parse(LINES, file_name="a.jsonl", progress=lambda done, total: seen.append((done, total)))

    assert [record.title for record in records] == ["One", "Two"]
    assert seen == [(0, 4), (1, 4), (2, 4), (3, 4)]


def test_an_exception_from_progress_stops_the_reading():
    def stop(done, total):
        if done == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        jsonl.parse(LINES, file_name="a.jsonl", progress=stop)


def test_without_progress_a_bad_line_is_still_named():
    with pytest.raises(FormatError) as raised:
        jsonl.parse(b'{"title": "One"\n', file_name="a.jsonl")

    assert str(raised.value) == "a.jsonl line 1: not valid JSON (Expecting ',' delimiter at column 16)"
