"""Export and import over the web and the command line: the same functions, streamed, all or nothing."""

import io
import json
import zipfile

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from annotate import datasets, projects, relations, units
from annotate.formats import jsonl
from annotate.models import Article, Label, Layer, Role
from tests.factories import make_article, make_project


@pytest.fixture
def annotated(project, article, annotator, manager):
    layer = Layer.objects.get(article=article, annotator=annotator)
    scheme = {label.name: label for label in project.labels.all()}
    claim = units.create_unit(
        layer=layer, label=scheme["Claim"], spans=[(0, 6)], attributes={"stance": "For"}, user=annotator
    )
    premise = units.create_unit(layer=layer, label=scheme["Premise"], spans=[(7, 13)], user=annotator)
    supports = project.relation_types.get(name="supports")
    relations.create_relation(layer=layer, type=supports, source=premise, target=claim, user=annotator)
    return project


def download(client, project, **params):
    response = client.get(reverse("annotate:dataset_export", args=[project.slug]), {"download": "1", **params})
    return response, b"".join(response.streaming_content) if response.streaming else response.content


def test_the_jsonl_download_streams_every_layer(client, curator, annotated):
    client.force_login(curator)

    response, content = download(client, annotated, format="jsonl", layers="all")

    assert response.streaming
    assert response["Content-Disposition"] == 'attachment; filename="opeds-jsonl.jsonl"'
    assert jsonl.parse(content, file_name="x.jsonl") == list(datasets.article_records(annotated))


def test_the_brat_download_is_a_zip_with_a_folder_per_annotator(client, curator, annotated, article):
    client.force_login(curator)

    response, content = download(client, annotated, format="brat", layers="annotators")

    names = sorted(zipfile.ZipFile(io.BytesIO(content)).namelist())
    assert "annotation.conf" in names
    assert [name.split("/")[0] for name in names if name.endswith(".ann")] == ["ann_annotator", "ben_annotator"]


def test_only_finished_layers_when_asked(client, curator, annotated, annotator):
    Layer.objects.filter(annotator=annotator).update(status=Layer.Status.FINISHED)
    client.force_login(curator)

    _, content = download(client, annotated, format="jsonl", layers="all", finished_only="on")

    (record,) = jsonl.parse(content, file_name="x.jsonl")
    assert [layer.owner for layer in record.layers] == ["ann_annotator"]


def test_an_unknown_format_is_refused_with_a_message(client, curator, annotated):
    client.force_login(curator)

    response, content = download(client, annotated, format="docx", layers="all")

    assert response.status_code == 422
    assert "Select a valid choice. docx is not one of the available choices." in content.decode()


@pytest.mark.parametrize("n", [1, 20])
def test_the_download_runs_a_fixed_number_of_queries(
    client, curator, project, annotator, manager, django_assert_num_queries, n
):
    for _ in range(n):
        projects.assign(article=make_article(project), annotators=[annotator], by=manager)
    client.force_login(curator)

    with django_assert_num_queries(12):
        _, content = download(client, project, format="csv", layers="all")

    assert content.decode().count("\n") == 1  # the header: no units yet


def upload(client, project, files, **data):
    return client.post(reverse("annotate:dataset_import", args=[project.slug]), {"files": files, **data})


def test_import_preview_shows_what_would_be_created_and_writes_nothing(client, manager, project):
    client.force_login(manager)
    files = [
        SimpleUploadedFile("one.txt", b"Ban cars now\nby Ann Author\n\nCities should ban cars."),
        SimpleUploadedFile("two.md", b"# Keep cars\n\nCars are fine."),
    ]

    response = upload(client, project, files, action="preview", unknown="fail")

    report = response.context["report"]
    assert [(p.record.title, p.record.author) for p in report.plans] == [
        ("Ban cars now", "Ann Author"),
        ("Keep cars", ""),
    ]
    assert (response.status_code, Article.objects.count()) == (200, 0)

    response = upload(
        client,
        project,
        [SimpleUploadedFile("one.txt", b"Ban cars now\n\nCities should ban cars.")],
        action="import",
        unknown="fail",
    )

    assert response.status_code == 302
    assert list(Article.objects.values_list("title", "text")) == [("Ban cars now", "Cities should ban cars.")]
    assert [str(message) for message in get_messages(response.wsgi_request)] == [
        "Imported: 1 new article, 0 already there, 0 layers, 0 units, 0 relations."
    ]


def test_a_bad_file_is_named_and_nothing_is_written(client, manager, project):
    client.force_login(manager)
    good = SimpleUploadedFile("good.txt", b"Fine\n\nA fine op-ed.")
    bad = SimpleUploadedFile("bad.jsonl", b'{"title": "x", "text": "y"\n')

    response = upload(client, project, [good, bad], action="import", unknown="fail")

    assert response.status_code == 422
    problems = response.context["report"].problems
    assert len(problems) == 1
    assert problems[0].startswith("bad.jsonl line 1: not valid JSON")
    assert Article.objects.count() == 0


def test_invalid_utf8_is_refused(client, manager, project):
    client.force_login(manager)

    response = upload(
        client,
        project,
        [SimpleUploadedFile("latin.txt", "Caf\xe9 op-ed".encode("latin-1"))],
        action="import",
        unknown="fail",
    )

    assert response.status_code == 422
    assert "latin.txt" in response.context["report"].problems[0]
    assert "UTF-8" in response.context["report"].problems[0]
    assert Article.objects.count() == 0


def native_line(text, label):
    record = {
        "id": "a1", "title": "T", "author": "", "outlet": "", "url": "", "published": "", "metadata": {}, "text": text,
        "layers": [{"owner": "ann_annotator", "status": "in_progress", "document_stance": "",
                    "units": [{"id": "T1", "label": label, "spans": [[0, 6]], "text": [text[0:6]],
                               "attributes": {}, "note": ""}],
                    "relations": []}],
    }  # fmt: skip
    return (json.dumps(record, ensure_ascii=False) + "\n").encode()


@pytest.mark.parametrize(
    ("unknown", "written", "labels", "units"),
    [("fail", False, 3, 0), ("skip", True, 3, 0), ("add", True, 4, 1)],
)
def test_an_unknown_label_fails_is_skipped_or_is_added(
    client, manager, project, annotator, unknown, written, labels, units
):
    client.force_login(manager)
    content = native_line("Cities should ban cars.", "Evidence")

    response = upload(client, project, [SimpleUploadedFile("a.jsonl", content)], action="import", unknown=unknown)

    assert (response.status_code == 302, Label.objects.filter(project=project).count()) == (written, labels)
    assert (
        Layer.objects.filter(annotator=annotator).values_list("units", flat=True).exclude(units=None).count() == units
    )
    if unknown == "fail":
        assert response.context["report"].problems == [
            "Article 1 (“T”), layer ann_annotator: unit T1: the label “Evidence” is not in the project's scheme."
        ]


# The command line ------------------------------------------------------------------


def test_export_then_import_on_the_command_line_reproduces_the_project(
    tmp_path, annotated, annotator, annotator2, capsys
):
    out = tmp_path / "opeds.jsonl"
    call_command("export_dataset", project="opeds", format="jsonl", output=str(out))
    copy = make_project(slug="copy")
    for user in (annotator, annotator2):
        projects.set_member(project=copy, user=user, role=Role.ANNOTATOR, by=None)

    call_command("import_articles", str(out), project="copy")

    assert "Imported: 1 new article, 0 already there, 2 layers, 2 units, 1 relation." in capsys.readouterr().out
    again = tmp_path / "copy.jsonl"
    call_command("export_dataset", project="copy", format="jsonl", output=str(again))
    assert again.read_bytes() == out.read_bytes()


def test_the_brat_command_writes_a_directory(tmp_path, annotated, capsys):
    call_command("export_dataset", project="opeds", format="brat", layers="ann_annotator", output=f"{tmp_path}/brat/")

    ann = sorted(p.relative_to(tmp_path / "brat").as_posix() for p in (tmp_path / "brat").rglob("*.ann"))
    assert [name.split("/")[0] for name in ann] == ["ann_annotator"]
    assert capsys.readouterr().err == f"Exported 1 article (brat) into {tmp_path}/brat/.\n"


def test_the_brat_command_writes_a_zip_file(tmp_path, annotated):
    call_command("export_dataset", project="opeds", format="brat", layers="ann_annotator", output=f"{tmp_path}/b.zip")

    folders = sorted(name.split("/")[0] for name in zipfile.ZipFile(tmp_path / "b.zip").namelist())
    assert folders == ["ann_annotator", "ann_annotator", "annotation.conf", "visual.conf"]


def test_a_dry_run_on_the_command_line_writes_nothing(tmp_path, project, capsys):
    (tmp_path / "a.txt").write_text("Title\n\nCities should ban cars.")

    call_command("import_articles", str(tmp_path / "a.txt"), project="opeds", dry_run=True)

    assert capsys.readouterr().out == "Would import: 1 new article, 0 already there, 0 layers, 0 units, 0 relations.\n"
    assert Article.objects.count() == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"project": "nope"}, "No project with the slug “nope”."),
        ({"project": "opeds", "layers": "zed"}, "--layers must be all, annotators, gold or an annotator's username"),
    ],
)
def test_export_command_refuses_bad_arguments(project, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("export_dataset", format="jsonl", **args)


def test_import_command_with_a_bad_file_imports_nothing(tmp_path, project):
    (tmp_path / "good.txt").write_text("Title\n\nFine.")
    (tmp_path / "bad.jsonl").write_text("not json\n")

    with pytest.raises(CommandError, match="Nothing was imported:\n  bad.jsonl line 1: not valid JSON"):
        call_command("import_articles", str(tmp_path / "good.txt"), str(tmp_path / "bad.jsonl"), project="opeds")

    assert Article.objects.count() == 0
