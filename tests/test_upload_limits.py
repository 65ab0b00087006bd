"""Upload limits: a zip bomb, too many entries or too large a request is an ordinary
import problem, refused with its limit named, the same by preview, import and command,
and without the server unpacking (or holding) what it refuses."""

import io
import tracemalloc
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.test.client import encode_multipart
from django.urls import reverse

from annotate.models import ArgumentUnit, Article, Change, Layer

MB = 1024 * 1024
CARS = "Cities should ban cars."


@pytest.fixture(scope="module")
def bomb() -> bytes:
    """A brat zip whose one text is 300 MB of zeros, some 300 KB compressed."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("gold/bomb.ann", "")
        with archive.open("gold/bomb.txt", "w") as entry:
            zeros = bytes(MB)
            for _ in range(300):
                entry.write(zeros)
    return buffer.getvalue()


def zip_of(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def upload(client, project, files, action):
    url = reverse("annotate:dataset_import", args=[project.slug])
    return client.post(url, {"files": files, "action": action, "unknown": "fail"})


def rows() -> tuple[int, int, int, int]:
    return Article.objects.count(), Layer.objects.count(), ArgumentUnit.objects.count(), Change.objects.count()


def refusal(client, project, files, action):
    """The status and problems of an import, and whether it wrote anything."""
    before = rows()
    response = upload(client, project, files, action)
    return response.status_code, response.context["report"].problems, rows() == before


def test_the_bomb_is_small_and_unpacks_to_300_mb(bomb):
    assert len(bomb) < 400 * 1024
    assert zipfile.ZipFile(io.BytesIO(bomb)).getinfo("gold/bomb.txt").file_size == 300 * MB


@pytest.mark.parametrize("action", ["preview", "import"])
@override_settings(ANNOTATE_MAX_UNCOMPRESSED_BYTES=1 * MB)
def test_a_zip_bomb_is_refused_after_reading_past_the_limit_only(client, manager, project, bomb, action):
    client.force_login(manager)
    tracemalloc.start()

    status, problems, nothing_written = refusal(client, project, [SimpleUploadedFile("bomb.zip", bomb)], action)

    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert (status, nothing_written) == (422, True)
    assert problems == [
        "bomb.zip: the archive unpacks to more than 1 MB (the limit, ANNOTATE_MAX_UNCOMPRESSED_BYTES); "
        "reading stopped in the entry gold/bomb.txt"
    ]
    # Reading the whole entry would hold 300 MB; the limit and a chunk are some 1 MB.
    assert peak < 50 * MB


@pytest.mark.parametrize("action", ["preview", "import"])
@override_settings(ANNOTATE_MAX_ENTRY_BYTES=1 * MB)
def test_a_zip_entry_past_its_limit_is_refused(client, manager, project, bomb, action):
    client.force_login(manager)
    tracemalloc.start()

    status, problems, nothing_written = refusal(client, project, [SimpleUploadedFile("bomb.zip", bomb)], action)

    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert (status, nothing_written) == (422, True)
    assert problems == [
        "bomb.zip: the entry gold/bomb.txt unpacks to more than 1 MB (the limit, ANNOTATE_MAX_ENTRY_BYTES)"
    ]
    assert peak < 50 * MB


@pytest.mark.parametrize("action", ["preview", "import"])
@override_settings(ANNOTATE_MAX_ENTRY_BYTES=1000, ANNOTATE_IMPORT_INLINE_BYTES=10 * MB)
def test_a_json_lines_line_past_the_entry_limit_is_refused(client, manager, project, action):
    """A line is one article, as an entry of a zip (the memory this saves:
    tests/test_import_streaming.py)."""
    client.force_login(manager)
    first = b'{"title": "Short", "text": "Cities should ban cars."}\n'
    long_line = b'{"title": "Long", "text": "' + b"x" * 2000 + b'"}\n'

    status, problems, nothing_written = refusal(
        client, project, [SimpleUploadedFile("opeds.jsonl", first + long_line)], action
    )

    assert (status, problems, nothing_written) == (
        422,
        ["opeds.jsonl line 2: the line is longer than 1,000 bytes (the limit, ANNOTATE_MAX_ENTRY_BYTES)"],
        True,
    )


@pytest.mark.parametrize("action", ["preview", "import"])
@override_settings(ANNOTATE_MAX_ARCHIVE_ENTRIES=3)
def test_a_zip_with_too_many_entries_is_refused(client, manager, project, action):
    client.force_login(manager)
    content = zip_of({"gold/a.ann": "", "gold/a.txt": CARS, "gold/b.ann": "", "gold/b.txt": "Keep cars."})

    status, problems, nothing_written = refusal(client, project, [SimpleUploadedFile("many.zip", content)], action)

    assert (status, nothing_written) == (422, True)
    assert problems == ["many.zip: the archive holds 4 entries, more than 3 (the limit, ANNOTATE_MAX_ARCHIVE_ENTRIES)"]


@pytest.mark.parametrize("action", ["preview", "import"])
@override_settings(ANNOTATE_MAX_ARCHIVE_ENTRIES=10)
def test_a_zip_whose_directory_is_too_large_for_its_entries_is_refused_before_it_is_read(
    client, manager, project, action
):
    client.force_login(manager)
    content = zip_of({f"gold/{number}.txt": "" for number in range(2000)})

    status, problems, nothing_written = refusal(client, project, [SimpleUploadedFile("many.zip", content)], action)

    assert (status, nothing_written) == (422, True)
    assert problems == ["many.zip: the archive holds more than 10 entries (the limit, ANNOTATE_MAX_ARCHIVE_ENTRIES)"]


@override_settings(ANNOTATE_MAX_ARCHIVE_ENTRIES=4, ANNOTATE_MAX_ENTRY_BYTES=len(CARS))
def test_a_zip_exactly_at_its_limits_is_imported(client, manager, project):
    client.force_login(manager)
    content = zip_of({"gold/a.ann": "", "gold/a.txt": CARS, "gold/b.ann": "", "gold/b.txt": "Keep cars."})

    response = upload(client, project, [SimpleUploadedFile("many.zip", content)], "import")

    assert response.status_code == 302
    assert sorted(Article.objects.values_list("text", flat=True)) == [CARS, "Keep cars."]


@pytest.mark.parametrize("action", ["preview", "import"])
@override_settings(ANNOTATE_MAX_UPLOAD_BYTES=1000)
def test_files_over_the_request_limit_together_are_refused_unread(client, manager, project, action):
    client.force_login(manager)
    files = [SimpleUploadedFile(f"{name}.txt", f"{name}\n\n{CARS} ({name})".encode().ljust(600, b".")) for name in "ab"]

    status, problems, nothing_written = refusal(client, project, files, action)

    assert (status, nothing_written) == (422, True)
    assert problems == [
        "The files of one import may add up to 1,000 bytes (the limit, ANNOTATE_MAX_UPLOAD_BYTES); "
        "these are larger. Import them in parts."
    ]


@override_settings(ANNOTATE_MAX_UPLOAD_BYTES=1200)
def test_files_at_the_request_limit_together_are_imported(client, manager, project):
    client.force_login(manager)
    files = [SimpleUploadedFile(f"{name}.txt", f"{name}\n\n{CARS} ({name})".encode().ljust(600, b".")) for name in "ab"]

    response = upload(client, project, files, "import")

    assert response.status_code == 302, response.context["report"].problems
    assert sorted(Article.objects.values_list("title", flat=True)) == ["a", "b"]


def test_a_request_without_a_project_membership_is_refused_before_any_limit(client, outsider, project):
    client.force_login(outsider)

    response = upload(client, project, [SimpleUploadedFile("a.txt", b"a\n\nb")], "preview")

    assert response.status_code == 404


@override_settings(ANNOTATE_MAX_UNCOMPRESSED_BYTES=1 * MB)
def test_the_command_refuses_a_zip_bomb_and_writes_nothing(project, bomb, tmp_path):
    path = tmp_path / "bomb.zip"
    path.write_bytes(bomb)
    before = rows()

    with pytest.raises(CommandError) as raised:
        call_command("import_articles", str(path), project=project.slug)

    assert str(raised.value) == (
        "Nothing was imported:\n  bomb.zip: the archive unpacks to more than 1 MB (the limit, "
        "ANNOTATE_MAX_UNCOMPRESSED_BYTES); reading stopped in the entry gold/bomb.txt"
    )
    assert rows() == before


@override_settings(ANNOTATE_MAX_ENTRY_BYTES=1 * MB)
def test_the_command_refuses_a_zip_bomb_given_as_brat(project, bomb, tmp_path):
    path = tmp_path / "bomb.bin"
    path.write_bytes(bomb)

    with pytest.raises(CommandError) as raised:
        call_command("import_articles", str(path), project=project.slug, format="brat")

    assert str(raised.value) == (
        "Nothing was imported:\n  bomb.bin: the entry gold/bomb.txt unpacks to more than 1 MB "
        "(the limit, ANNOTATE_MAX_ENTRY_BYTES)"
    )


def brat_directory(root, texts: dict[str, str]):
    for name, text in texts.items():
        (root / "gold").mkdir(parents=True, exist_ok=True)
        (root / "gold" / f"{name}.txt").write_text(text)
        (root / "gold" / f"{name}.ann").write_text("")
    return root


@override_settings(ANNOTATE_MAX_ENTRY_BYTES=1024)
def test_the_command_refuses_a_brat_directory_with_a_file_over_the_limit(project, tmp_path):
    root = brat_directory(tmp_path / "corpus", {"a": CARS, "b": "x" * 1025})
    before = rows()

    with pytest.raises(CommandError) as raised:
        call_command("import_articles", str(root), project=project.slug)

    assert str(raised.value) == (
        f"Nothing was imported:\n  {root}: the file gold/b.txt holds more than 1 KB "
        "(the limit, ANNOTATE_MAX_ENTRY_BYTES)"
    )
    assert rows() == before


@override_settings(ANNOTATE_MAX_UNCOMPRESSED_BYTES=2048)
def test_the_command_refuses_a_brat_directory_over_the_total_limit(project, tmp_path):
    root = brat_directory(tmp_path / "corpus", {"a": "a" * 1000, "b": "b" * 1000, "c": "c" * 1000})

    with pytest.raises(CommandError) as raised:
        call_command("import_articles", str(root), project=project.slug)

    assert str(raised.value) == (
        f"Nothing was imported:\n  {root}: the directory holds more than 2 KB (the limit, "
        "ANNOTATE_MAX_UNCOMPRESSED_BYTES); reading stopped in the file gold/c.txt"
    )


@override_settings(ANNOTATE_MAX_ARCHIVE_ENTRIES=3)
def test_the_command_refuses_a_brat_directory_with_too_many_files(project, tmp_path):
    root = brat_directory(tmp_path / "corpus", {"a": CARS, "b": "Keep cars."})

    with pytest.raises(CommandError) as raised:
        call_command("import_articles", str(root), project=project.slug)

    assert str(raised.value) == (
        f"Nothing was imported:\n  {root}: the directory holds 4 files, more than 3 "
        "(the limit, ANNOTATE_MAX_ARCHIVE_ENTRIES)"
    )


class Unreadable:
    """A request body that fails the test if anything reads it."""

    def read(self, *args):
        raise AssertionError("the body was read")

    readline = read


def post_declaring(client, project, length: int, **headers):
    """A POST to the import page that declares a body of `length` bytes and has none to read."""
    url = reverse("annotate:dataset_import", args=[project.slug])
    return client.generic(
        "POST",
        url,
        CONTENT_TYPE="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(length),
        **{"wsgi.input": Unreadable()},
        headers=headers,
    )


TOO_LARGE = (
    "The files of one import may add up to 1,000 bytes (the limit, ANNOTATE_MAX_UPLOAD_BYTES); "
    "these are larger. Import them in parts."
)


@override_settings(ANNOTATE_MAX_UPLOAD_BYTES=1000)
def test_a_request_declaring_more_than_the_limit_and_the_form_is_refused_unread(client, manager, project):
    client.force_login(manager)
    before = rows()

    response = post_declaring(client, project, 1000 + MB + 1)

    assert (response.status_code, rows()) == (413, before)
    assert response.templates[0].name == "413.html"
    assert response.context["problem"] == TOO_LARGE


@override_settings(ANNOTATE_MAX_UPLOAD_BYTES=1000)
def test_an_htmx_request_too_large_gets_a_message_for_the_page(client, manager, project):
    client.force_login(manager)

    response = post_declaring(client, project, 1000 + MB + 1, hx_request="true")

    assert response.status_code == 413
    assert (response["HX-Retarget"], response["HX-Reswap"]) == ("#messages", "outerHTML")
    assert [str(message) for message in response.context["messages"]] == [TOO_LARGE]
    assert TOO_LARGE in response.content.decode()


@override_settings(ANNOTATE_MAX_UPLOAD_BYTES=1000)
def test_a_request_within_the_limit_and_the_form_reaches_the_view(client, manager, project):
    """The form's allowance is 1 MB: a body of the limit and that much is read (and here
    found to hold no files)."""
    client.force_login(manager)
    url = reverse("annotate:dataset_import", args=[project.slug])
    fields = {"action": "preview", "unknown": "fail", "pad": ""}
    overhead = len(encode_multipart("x", fields))
    body = encode_multipart("x", {**fields, "pad": "p" * (1000 + MB - overhead)})
    assert len(body) == 1000 + MB

    response = client.generic("POST", url, body, content_type="multipart/form-data; boundary=x")

    assert response.status_code == 422
    assert response.context["form"].errors == {"files": ["Choose at least one file to import."]}
