"""Export and import over the web and the command line: the same functions, streamed, all or nothing."""

import io
import json
import os
import re
import zipfile

import lxml.html
import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils.text import slugify

from annotate import datasets, projects, relations, units
from annotate.formats import jsonl
from annotate.formats.records import ArticleRecord, LayerRecord, SpanRecord, UnitRecord
from annotate.models import Article, Label, Layer, Role
from tests.factories import make_article, make_project


@pytest.fixture
def annotated(project, article, annotator, manager):
    layer = Layer.objects.get(article=article, annotator=annotator)
    scheme = {label.name: label for label in project.labels.all()}
    claim = units.create_unit(
        layer=layer, label=scheme["Claim"], spans=[(0, 6)], attributes={"stance": "For"}, user=annotator
    ).unit
    premise = units.create_unit(layer=layer, label=scheme["Premise"], spans=[(7, 13)], user=annotator).unit
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

    # One of them counts the units, which decides whether the export streams or is queued.
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


def test_the_scheme_page_shows_the_labels_an_import_added_with_their_keys_and_colours(
    client, manager, project, annotator
):
    client.force_login(manager)
    text = "Cities should ban cars. Traffic kills."
    units = [
        {"id": f"T{n}", "label": label, "spans": [[n, n + 1]], "text": [text[n]], "attributes": {}, "note": ""}
        for n, label in enumerate(["Evidence", "Thesis", "Aside"])
    ]
    layer = {"owner": "ann_annotator", "status": "in_progress", "document_stance": "", "units": units}
    content = json.dumps({"title": "T", "text": text, "layers": [{**layer, "relations": []}]}).encode()
    upload(client, project, [SimpleUploadedFile("a.jsonl", content)], action="import", unknown="add")

    page = lxml.html.fromstring(client.get(reverse("annotate:scheme", args=[project.slug])).content)
    css = client.get(reverse("annotate:scheme_css", args=[project.slug])).content.decode()

    colours = dict(re.findall(r"^\.(label-\d+) \{ --colour: (#[0-9a-f]{6});", css, re.MULTILINE))
    rows = [
        (row.findtext("td/kbd"), row.xpath("string(td[2])"), colours[row.find("td/span").get("class").split()[1]])
        for row in page.xpath("//section[1]//tbody/tr")
    ]
    assert rows == [
        ("m", "MajorClaim", "#cc79a7"),
        ("c", "Claim", "#0072b2"),
        ("p", "Premise", "#e69f00"),
        ("b", "Evidence", "#56b4e9"),
        ("d", "Thesis", "#f0e442"),
        ("f", "Aside", "#000000"),
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


def test_the_brat_command_writes_a_zip_file(tmp_path, annotated, article):
    call_command("export_dataset", project="opeds", format="brat", layers="ann_annotator", output=f"{tmp_path}/b.zip")

    names = zipfile.ZipFile(tmp_path / "b.zip").namelist()
    name = f"{article.text_hash[:12]}-{slugify(article.title)}"
    assert names == [
        "annotation.conf",
        "visual.conf",
        f"{name}.article.json",
        f"ann_annotator/{name}.txt",
        f"ann_annotator/{name}.ann",
    ]


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


# One-line texts, existing layers, counts in words ------------------------------------


def pills(response) -> list[str]:
    return re.findall(r'<span class="pill">(.*?)</span>', response.content.decode())


def test_a_one_line_text_file_is_the_article_text_titled_after_its_file_name(client, manager, project):
    client.force_login(manager)
    one_line = b"Iran must never get the bomb.\n"

    preview = upload(client, project, [SimpleUploadedFile("iran-deal.txt", one_line)], action="preview", unknown="fail")
    response = upload(client, project, [SimpleUploadedFile("iran-deal.txt", one_line)], action="import", unknown="fail")

    assert (preview.status_code, preview.context["report"].problems) == (200, [])
    assert [(plan.record.title, plan.text) for plan in preview.context["report"].plans] == [
        ("Iran deal", "Iran must never get the bomb.")
    ]
    assert response.status_code == 302
    assert list(Article.objects.values_list("title", "text")) == [("Iran deal", "Iran must never get the bomb.")]


def test_a_one_line_text_file_imports_on_the_command_line_titled_after_its_file_name(tmp_path, project, capsys):
    (tmp_path / "iran-deal.txt").write_text("Iran must never get the bomb.\n")

    call_command("import_articles", str(tmp_path / "iran-deal.txt"), project="opeds")

    assert capsys.readouterr().out == "Imported: 1 new article, 0 already there, 0 layers, 0 units, 0 relations.\n"
    assert list(Article.objects.values_list("title", "text")) == [("Iran deal", "Iran must never get the bomb.")]


def test_the_import_preview_counts_in_words_with_the_singular_for_one(client, manager, project):
    client.force_login(manager)

    files = [SimpleUploadedFile("a.txt", b"Title\n\nText.")]

    response = upload(client, project, files, action="preview", unknown="fail")

    assert pills(response) == ["1 new article", "0 already there", "0 layers", "0 units", "0 relations"]


def brat_zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


OP_ED = "Cities should ban cars. Traffic kills."
PREMISE_ANN = "T1\tPremise 0 22\tCities should ban cars\n"


@pytest.fixture
def existing_layer(project, annotator, annotator2, manager):
    """An op-ed whose ann_annotator layer already holds a unit, and a brat zip that holds
    that layer again, a layer for ben_annotator and a second op-ed."""
    unit = UnitRecord("T1", "Premise", [SpanRecord(24, 38)])
    record = ArticleRecord(title="Ban cars", text=OP_ED, layers=[LayerRecord("ann_annotator", units=[unit])])
    datasets.import_records(project=project, records=[record], user=manager)
    return brat_zip(
        {
            "ann_annotator/ban-cars.txt": OP_ED,
            "ann_annotator/ban-cars.ann": PREMISE_ANN,
            "ben_annotator/ban-cars.txt": OP_ED,
            "ben_annotator/ban-cars.ann": PREMISE_ANN,
            "ben_annotator/walk.txt": "Walk more.",
            "ben_annotator/walk.ann": "T1\tPremise 0 4\tWalk\n",
        }
    )


def layer_units():
    return sorted(Layer.objects.values_list("article__title", "annotator__username", "units__spans__start"))


BEFORE = [("Ban cars", "ann_annotator", 24)]
AFTER_SKIP = [("Ban cars", "ann_annotator", 24), ("Ban cars", "ben_annotator", 0), ("walk", "ben_annotator", 0)]
EXISTING_PROBLEM = (
    "Article 1 (“ban-cars”), layer ann_annotator: the project already has this layer of this article, with units. "
    "To leave such layers as they are and import the rest, skip existing layers (on the import page, “Layers the "
    "project already has, with units: are skipped”; on the command line, --existing skip)."
)


def test_existing_layers_fail_on_the_web_by_default_and_nothing_is_written(client, manager, project, existing_layer):
    client.force_login(manager)

    for action in ("preview", "import"):
        response = upload(client, project, [SimpleUploadedFile("b.zip", existing_layer)], action=action, unknown="fail")

        assert (response.status_code, response.context["report"].problems) == (422, [EXISTING_PROBLEM])
        assert layer_units() == BEFORE


def test_existing_layers_skipped_on_the_web_are_left_as_they_are_and_counted(client, manager, project, existing_layer):
    client.force_login(manager)
    choices = {"unknown": "fail", "existing": "skip"}

    preview = upload(client, project, [SimpleUploadedFile("b.zip", existing_layer)], action="preview", **choices)
    response = upload(client, project, [SimpleUploadedFile("b.zip", existing_layer)], action="import", **choices)

    assert pills(preview) == [
        "1 new article", "1 already there", "2 layers", "2 units", "0 relations", "1 existing layer skipped"
    ]  # fmt: skip
    assert response.status_code == 302
    assert [str(message) for message in get_messages(response.wsgi_request)] == [
        "Imported: 1 new article, 1 already there, 2 layers, 2 units, 0 relations, 1 existing layer skipped."
    ]
    assert layer_units() == AFTER_SKIP


def test_existing_layers_on_the_command_line_fail_by_default_or_are_skipped(tmp_path, project, existing_layer, capsys):
    (tmp_path / "b.zip").write_bytes(existing_layer)

    with pytest.raises(CommandError) as raised:
        call_command("import_articles", str(tmp_path / "b.zip"), project="opeds")
    assert (str(raised.value), layer_units()) == (f"Nothing was imported:\n  {EXISTING_PROBLEM}", BEFORE)

    call_command("import_articles", str(tmp_path / "b.zip"), project="opeds", existing="skip")

    assert capsys.readouterr().out == (
        "Imported: 1 new article, 1 already there, 2 layers, 2 units, 0 relations, 1 existing layer skipped.\n"
    )
    assert layer_units() == AFTER_SKIP


# brat round trip, imported layers' status ----------------------------------------------


def test_brat_export_import_export_gives_the_same_zip(tmp_path, annotated, article, annotator, annotator2):
    Article.objects.filter(pk=article.pk).update(title="Did Trump Flinch? A “modest” view")
    first, second = tmp_path / "first.zip", tmp_path / "second.zip"
    call_command("export_dataset", project="opeds", format="brat", output=str(first))
    copy = make_project(slug="copy")
    for user in (annotator, annotator2):
        projects.set_member(project=copy, user=user, role=Role.ANNOTATOR, by=None)

    call_command("import_articles", str(first), project="copy")
    call_command("export_dataset", project="copy", format="brat", output=str(second))

    assert copy.articles.get().title == "Did Trump Flinch? A “modest” view"
    before, after = zipfile.ZipFile(first), zipfile.ZipFile(second)
    assert after.namelist() == before.namelist()
    assert {name: after.read(name) for name in after.namelist()} == {
        name: before.read(name) for name in before.namelist()
    }
    assert second.read_bytes() == first.read_bytes()


def test_brat_layers_with_units_arrive_in_progress_and_agreement_counts_them(tmp_path, project, annotator, annotator2):
    (tmp_path / "b.zip").write_bytes(
        brat_zip(
            {
                "ann_annotator/ban-cars.txt": OP_ED,
                "ann_annotator/ban-cars.ann": PREMISE_ANN,
                "ben_annotator/ban-cars.txt": OP_ED,
                "ben_annotator/ban-cars.ann": PREMISE_ANN,
            }
        )
    )
    call_command("import_articles", str(tmp_path / "b.zip"), project="opeds")
    out = io.StringIO()

    call_command("agreement", project="opeds", json=True, include_in_progress=True, stdout=out)

    report = json.loads(out.getvalue())
    assert list(Layer.objects.values_list("status", flat=True)) == ["in_progress", "in_progress"]
    assert (report["span_f1"], [(pair["annotators"], pair["articles"]) for pair in report["pairs"]]) == (
        {"exact": 1.0, "overlap": 1.0},
        [(["ann_annotator", "ben_annotator"], 1)],
    )


# Zips and the terminal -----------------------------------------------------------------


@pytest.mark.parametrize("format", ["brat", "aif"])
@pytest.mark.parametrize("output", [{}, {"output": "-"}])
def test_a_zip_export_to_a_terminal_is_refused(annotated, format, output):
    leader, follower = os.openpty()
    try:
        with open(follower, "w") as terminal, pytest.raises(CommandError) as raised:
            call_command("export_dataset", project="opeds", format=format, stdout=terminal, **output)
    finally:
        os.close(leader)

    assert str(raised.value) == (
        f"A {format} export is a zip file, which would fill the terminal with binary: write it to a file with "
        "--output PATH (or pipe standard output into a file or another program)."
    )


def test_a_zip_export_piped_to_another_program_is_written(tmp_path, annotated):
    call_command("export_dataset", project="opeds", format="brat", output=str(tmp_path / "b.zip"))
    read_end, write_end = os.pipe()

    with open(write_end, "w") as pipe:
        call_command("export_dataset", project="opeds", format="brat", stdout=pipe)
    with open(read_end, "rb") as piped:
        content = piped.read()

    assert content == (tmp_path / "b.zip").read_bytes()
