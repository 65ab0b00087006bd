"""What a format cannot write is said before download, in the file's header and by the command."""

import io
import zipfile

import lxml.html
import pytest
from django.core.management import call_command
from django.urls import reverse

from annotate import datasets, projects, relations, units
from annotate.models import Layer
from tests.factories import make_article, scheme_of, span_of
from tests.test_import_tasks import run_worker


def shaped_layer(project, article, annotator) -> Layer:
    """A layer with a premise nested in a claim, a discontinuous premise and relations
    from the nested one and to the claim."""
    layer = Layer.objects.get(article=article, annotator=annotator)
    scheme = scheme_of(project)
    text = article.text
    claim = units.create_unit(
        layer=layer, label=scheme["Claim"], spans=[span_of(text, "Cities should ban cars")], user=annotator
    ).unit
    nested = units.create_unit(layer=layer, label=scheme["Premise"], spans=[span_of(text, "ban cars")], user=annotator)
    pieces = [span_of(text, "Traffic kills thousands"), span_of(text, "trips in town are short")]
    units.create_unit(layer=layer, label=scheme["Premise"], spans=pieces, user=annotator)
    relations.create_relation(layer=layer, type=scheme["supports"], source=nested.unit, target=claim, user=annotator)
    return layer


def check(client, project, **params):
    url = reverse("annotate:dataset_export", args=[project.slug])
    return client.get(url, {"download": "1", "check": "1", "layers": "all", **params})


def listed(response) -> list[str]:
    page = lxml.html.fromstring(response.content)
    items = page.xpath('//*[@id="losses"]//p[@class="message"] | //*[@id="loss-list"]/li')
    return [" ".join(item.text_content().split()) for item in items]


def test_the_page_says_what_conll_leaves_out_before_download_as_the_files_header_does(
    client, curator, project, article, annotator
):
    shaped_layer(project, article, annotator)
    client.force_login(curator)
    key = datasets.article_key(article)

    response = check(client, project, format="conll", relations="on")

    assert response.status_code == 200
    assert listed(response) == [
        "CoNLL / BIO tokens: 1 nested unit, 1 unit written in part, 1 relation cannot be written as they are. "
        "A nested or overlapping unit is left out, a discontinuous unit or one across a paragraph break is "
        "written as its first piece, and a relation to or from a unit not written, or a second from one unit, "
        "is left out. The file's header lists each (# left out: …).",
        f"article {key}, layer ann_annotator: T2 (Premise) lies inside T1 (Claim); BIO gives a token one unit",
        f"article {key}, layer ann_annotator: T3 (Premise, discontinuous) is written as its first piece; "
        "1 more piece left out",
        f"article {key}, layer ann_annotator: R1 (T2 supports T1): T2 is not written",
    ]
    download = client.get(
        reverse("annotate:dataset_export", args=[project.slug]),
        {"download": "1", "layers": "all", "format": "conll", "relations": "on"},
    )
    header = [line for line in b"".join(download.streaming_content).decode().split("\n") if line.startswith("# left")]
    assert header == [
        "# left out: T2 (Premise) lies inside T1 (Claim); BIO gives a token one unit",
        "# left out: T3 (Premise, discontinuous) is written as its first piece; 1 more piece left out",
        "# left out: R1 (T2 supports T1): T2 is not written",
    ]


def test_a_format_that_writes_every_shape_says_nothing_is_left_out(client, curator, project, article, annotator):
    shaped_layer(project, article, annotator)
    client.force_login(curator)

    response = check(client, project, format="csv")

    assert listed(response) == ["Nothing: CSV, one row per span writes every unit and relation of this choice."]


def test_an_outsider_cannot_check_an_export(client, outsider, project, article, annotator):
    shaped_layer(project, article, annotator)
    client.force_login(outsider)

    assert check(client, project, format="conll").status_code == 404


@pytest.mark.parametrize("n", [1, 20])
def test_the_check_runs_a_fixed_number_of_queries(
    client, curator, project, annotator, manager, django_assert_num_queries, n
):
    for _ in range(n):
        article = make_article(project)
        projects.assign(article=article, annotators=[annotator], by=manager)
        shaped_layer(project, article, annotator)
    client.force_login(curator)

    with django_assert_num_queries(13):
        response = check(client, project, format="conll", relations="on")

    assert listed(response)[0].startswith(f"CoNLL / BIO tokens: {n} nested unit")


def test_the_command_prints_what_it_left_out(tmp_path, project, article, annotator, capsys):
    shaped_layer(project, article, annotator)
    key = datasets.article_key(article)

    call_command("export_dataset", project="opeds", format="conll", relations=True, output=str(tmp_path / "x.conll"))

    assert capsys.readouterr().err.splitlines()[-5:] == [
        f"Left out: article {key}, layer ann_annotator: T2 (Premise) lies inside T1 (Claim); "
        "BIO gives a token one unit",
        f"Left out: article {key}, layer ann_annotator: T3 (Premise, discontinuous) is written as its first piece; "
        "1 more piece left out",
        f"Left out: article {key}, layer ann_annotator: R1 (T2 supports T1): T2 is not written",
        "Exported 1 article (conll) to " + str(tmp_path / "x.conll") + ".",
        "CoNLL / BIO tokens left out or wrote in part 1 nested unit, 1 unit written in part, 1 relation, each listed "
        "above and in the file's header.",
    ]


@pytest.mark.django_db(transaction=True)
def test_a_queued_export_says_on_its_page_what_the_worker_left_out(
    client, curator, project, article, annotator, settings, tmp_path
):
    settings.ANNOTATE_EXPORT_INLINE_UNITS = 1
    settings.MEDIA_ROOT = tmp_path
    shaped_layer(project, article, annotator)
    client.force_login(curator)
    key = datasets.article_key(article)
    before = check(client, project, format="conll", relations="on")
    url = reverse("annotate:dataset_export", args=[project.slug])

    job_page = client.post(url, {"format": "conll", "layers": "all", "relations": "on"}, follow=True)
    run_worker()

    page = lxml.html.fromstring(client.get(job_page.redirect_chain[-1][0]).content)
    assert " ".join(page.get_element_by_id("left-out").text_content().split()) == (
        "Left out or written in part, as the format cannot write them: 1 nested unit, 1 unit written in part, "
        "1 relation. The file's header lists each (# left out: …)."
    )
    assert [item.text_content() for item in page.xpath('//*[@id="loss-list"]/li')] == [
        f"article {key}, layer ann_annotator: T2 (Premise) lies inside T1 (Claim); BIO gives a token one unit",
        f"article {key}, layer ann_annotator: T3 (Premise, discontinuous) is written as its first piece; "
        "1 more piece left out",
        f"article {key}, layer ann_annotator: R1 (T2 supports T1): T2 is not written",
    ]
    assert listed(before) == []  # before it, the page left the list to the worker
    assert " ".join(lxml.html.fromstring(before.content).xpath('//*[@id="losses"]/p')[0].text_content().split()) == (
        "This export is written by a worker, which finds what the format leaves out as it writes: the export's "
        "page names it once the file is written. The file's header lists each (# left out: …)."
    )


def line_break_layer(project, article, annotator) -> Layer:
    """A layer with a premise of two spans that only a paragraph break separates (brat
    gives it back as one span) and a claim across that break (brat gives it back whole)."""
    layer = Layer.objects.get(article=article, annotator=annotator)
    scheme = scheme_of(project)
    text = article.text
    pieces = [span_of(text, "from their centres."), span_of(text, "Traffic kills thousands")]
    units.create_unit(layer=layer, label=scheme["Premise"], spans=pieces, user=annotator)
    across = [span_of(text, "centres.\n\nTraffic")]
    units.create_unit(layer=layer, label=scheme["Claim"], spans=across, user=annotator)
    return layer


def test_the_page_says_which_units_brat_changes_at_a_line_break_as_left_out_txt_does(
    client, curator, project, article, annotator
):
    line_break_layer(project, article, annotator)
    client.force_login(curator)
    key = datasets.article_key(article)

    response = check(client, project, format="brat")

    assert response.status_code == 200
    assert listed(response) == [
        "brat standoff (zip): 1 unit changed at a line break cannot be written as they are. A span that starts or "
        "ends with a line break comes back without it, and spans with only line breaks between them come back as "
        "one. The zip's LEFT-OUT.txt lists each.",
        f"article {key}, layer ann_annotator: T1 (Premise) 23–42, 44–67 comes back as 23–67",
    ]
    download = client.get(
        reverse("annotate:dataset_export", args=[project.slug]), {"download": "1", "layers": "all", "format": "brat"}
    )
    with zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content))) as archive:
        assert archive.read("LEFT-OUT.txt").decode().splitlines()[2:] == [
            f"article {key}, layer ann_annotator: T1 (Premise) 23–42, 44–67 comes back as 23–67"
        ]


def test_the_command_prints_the_units_brat_changes_at_a_line_break(tmp_path, project, article, annotator, capsys):
    line_break_layer(project, article, annotator)
    key = datasets.article_key(article)

    call_command("export_dataset", project="opeds", format="brat", output=str(tmp_path / "x.zip"))

    assert capsys.readouterr().err.splitlines()[-3:] == [
        f"Left out: article {key}, layer ann_annotator: T1 (Premise) 23–42, 44–67 comes back as 23–67",
        "Exported 1 article (brat) to " + str(tmp_path / "x.zip") + ".",
        "brat standoff (zip) left out or wrote in part 1 unit changed at a line break, each listed above and in the "
        "export's LEFT-OUT.txt.",
    ]


def test_a_brat_directory_export_holds_left_out_txt_and_the_command_prints_each(
    tmp_path, project, article, annotator, capsys
):
    line_break_layer(project, article, annotator)
    key = datasets.article_key(article)

    call_command("export_dataset", project="opeds", format="brat", output=f"{tmp_path}/corpus/")

    listed = f"article {key}, layer ann_annotator: T1 (Premise) 23–42, 44–67 comes back as 23–67"
    assert (tmp_path / "corpus" / "LEFT-OUT.txt").read_text(encoding="utf-8").splitlines()[2:] == [listed]
    assert capsys.readouterr().err.splitlines()[-3:] == [
        f"Left out: {listed}",
        f"Exported 1 article (brat) into {tmp_path}/corpus/.",
        "brat standoff (zip) left out or wrote in part 1 unit changed at a line break, each listed above and in the "
        "export's LEFT-OUT.txt.",
    ]
