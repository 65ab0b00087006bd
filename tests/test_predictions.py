"""Machine predictions imported as suggestions through the page (upload → preview →
import) and the command: what each answer says, the suggestions written, what the
workspace then draws, replacing on re-import, rejections kept."""

import json

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from annotate import projects, suggestions
from annotate.layer_content import entries, read_one
from annotate.models import ArgumentUnit, Layer, Relation, Suggestion
from tests.factories import make_article, make_unit, scheme_of

TEXT = "Cities should ban cars. Traffic kills. Shops will suffer."
CLAIM = {"id": "T1", "label": "Claim", "spans": [[0, 22]], "text": ["Cities should ban cars"], "score": 0.9}
PREMISE = {"id": "T2", "label": "Premise", "spans": [[24, 38]], "text": ["Traffic kills."]}
SUPPORT = {"id": "R1", "type": "supports", "source": "T2", "target": "T1", "score": 0.5}


def predictions(*layers, text=TEXT, **fields) -> bytes:
    return (json.dumps({"title": "Ban cars", "text": text, "layers": list(layers), **fields}) + "\n").encode()


def layer(*units, relations=(), owner="ann_annotator", source="lab-bert") -> dict:
    return {"owner": owner, "source": source, "units": list(units), "relations": list(relations)}


@pytest.fixture
def target(project, annotator, annotator2, manager):
    """The annotators' layers of one article, in a project with suggestions on."""
    project.suggestions = True
    project.save(update_fields=["suggestions"])
    article = make_article(project, text=TEXT, title="Ban cars")
    projects.assign(article=article, annotators=[annotator, annotator2], by=manager)
    return Layer.objects.select_related("article__project").get(article=article, annotator=annotator)


def send(client, project, content, action, name="predictions.jsonl"):
    url = reverse("annotate:predictions_import", args=[project.slug])
    return client.post(url, {"file": SimpleUploadedFile(name, content), "action": action})


def written(layer) -> list[tuple]:
    """The layer's suggestions as stored, by kind and place."""
    fields = ("kind", "source", "label__name", "relation_type__name", "start", "end", "target_start", "target_end")
    rows = Suggestion.objects.filter(layer=layer).order_by("kind", "start", "source")
    return list(rows.values_list(*fields, "score", "status"))


def shown_now(layer):
    project = layer.article.project
    units, links = entries(
        read_one(layer),
        labels={label.pk: label for label in project.scheme_labels},
        relation_types={kind.pk: kind for kind in project.scheme_relation_types},
        text=layer.article.text,
    )
    return suggestions.shown(layer, units, links)


def imported(shown) -> tuple[list, list]:
    """What the workspace draws of the imported suggestions (markers make their own)."""
    units = [(g.span, g.label.name, g.source, g.score) for g in shown.units if g.source != suggestions.MARKERS]
    links = [(link.type.name, link.source_span, link.target_span, link.origin) for link in shown.relations]
    return units, links


def test_a_curator_previews_then_imports_predictions_and_the_workspace_shows_them(client, curator, target):
    client.force_login(curator)
    content = predictions(layer(CLAIM, PREMISE, relations=[SUPPORT]))

    page = client.get(reverse("annotate:predictions_import", args=[target.article.project.slug]))
    preview = send(client, target.article.project, content, "preview")

    assert page.status_code == 200
    report = preview.context["report"]
    assert (preview.status_code, report.problems, report.in_words, report.source_names) == (
        200,
        [],
        ["1 layer", "2 unit suggestions", "1 relation suggestion"],
        ["lab-bert"],
    )
    assert [
        (each.line, each.title, each.owner, each.sources, each.units, each.relations, each.replaced, each.rejected)
        for each in report.layers
    ] == [(1, "Ban cars", "ann_annotator", ["lab-bert"], 2, 1, 0, 0)]
    assert Suggestion.objects.count() == 0

    done = send(client, target.article.project, content, "import")

    assert (done.status_code, done.url) == (302, page.wsgi_request.path)
    assert [str(message) for message in get_messages(done.wsgi_request)] == [
        "Imported as suggestions: 1 layer, 2 unit suggestions, 1 relation suggestion."
    ]
    assert written(target) == [
        ("relation", "lab-bert", None, "supports", 24, 38, 0, 22, 0.5, "open"),
        ("unit", "lab-bert", "Claim", None, 0, 22, None, None, 0.9, "open"),
        ("unit", "lab-bert", "Premise", None, 24, 38, None, None, None, "open"),
    ]
    assert imported(shown_now(target)) == (
        [((0, 22), "Claim", "lab-bert", 0.9), ((24, 38), "Premise", "lab-bert", None)],
        [("supports", (24, 38), (0, 22), "lab-bert")],
    )
    assert (ArgumentUnit.objects.count(), Relation.objects.count()) == (0, 0)


def test_a_unit_source_wins_over_its_layers_and_gold_takes_suggestions_too(client, manager, target, curator):
    gold = Layer.objects.create(article=target.article, annotator=None, status=Layer.Status.IN_PROGRESS)
    client.force_login(manager)
    own = {**PREMISE, "source": "rules-v2"}
    content = predictions(layer(CLAIM, own), layer(CLAIM, owner="gold", source="lab-bert"))

    done = send(client, target.article.project, content, "import")

    assert done.status_code == 302
    assert written(target) == [
        ("unit", "lab-bert", "Claim", None, 0, 22, None, None, 0.9, "open"),
        ("unit", "rules-v2", "Premise", None, 24, 38, None, None, None, "open"),
    ]
    assert written(gold) == [("unit", "lab-bert", "Claim", None, 0, 22, None, None, 0.9, "open")]


def test_importing_a_source_again_replaces_its_open_suggestions_and_keeps_rejections(client, curator, target):
    client.force_login(curator)
    project = target.article.project
    other = {**PREMISE, "source": "rules-v2"}
    assert send(client, project, predictions(layer(CLAIM, PREMISE), layer(other, owner="ben_annotator")), "import")
    assert send(client, project, predictions(layer(other)), "import").status_code == 302
    # The annotator rejects the Claim the workspace draws (its id from what it draws).
    ghost = next(g for g in shown_now(target).units if g.label.name == "Claim" and g.source == "lab-bert")
    suggestions.reject(layer=target, suggestion_id=ghost.id, user=target.annotator)

    again = predictions(layer(CLAIM, {**PREMISE, "spans": [[39, 57]], "text": ["Shops will suffer."]}))
    preview = send(client, project, again, "preview")
    done = send(client, project, again, "import")

    assert preview.context["report"].in_words == [
        "1 layer",
        "1 unit suggestion",
        "0 relation suggestions",
        "1 open suggestion replaced",
        "1 rejected before, not suggested again",
    ]
    assert done.status_code == 302
    assert written(target) == [
        ("unit", "lab-bert", "Claim", None, 0, 22, None, None, 0.9, "rejected"),
        ("unit", "rules-v2", "Premise", None, 24, 38, None, None, None, "open"),
        ("unit", "lab-bert", "Premise", None, 39, 57, None, None, None, "open"),
    ]
    assert imported(shown_now(target))[0] == [
        ((24, 38), "Premise", "rules-v2", None),
        ((39, 57), "Premise", "lab-bert", None),
    ]
    ben = Layer.objects.get(article=target.article, annotator__username="ben_annotator")
    assert written(ben) == [("unit", "rules-v2", "Premise", None, 24, 38, None, None, None, "open")]


def test_a_suggestion_a_unit_of_the_layer_overlaps_is_written_but_not_drawn(client, curator, target):
    make_unit(target, scheme_of(target.article.project)["Claim"], "Cities should ban cars")
    client.force_login(curator)

    done = send(client, target.article.project, predictions(layer(CLAIM, PREMISE)), "import")

    assert done.status_code == 302
    assert imported(shown_now(target))[0] == [((24, 38), "Premise", "lab-bert", None)]
    assert ArgumentUnit.objects.count() == 1


def test_the_htmx_preview_answers_with_the_preview_partial(client, curator, target):
    client.force_login(curator)
    url = reverse("annotate:predictions_import", args=[target.article.project.slug])

    response = client.post(
        url,
        {"file": SimpleUploadedFile("p.jsonl", predictions(layer(CLAIM))), "action": "preview"},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    assert response.content.decode().lstrip().startswith('<section id="predictions-preview"')


def test_the_command_imports_predictions_and_says_what_it_wrote(tmp_path, target, capsys):
    path = tmp_path / "predictions.jsonl"
    path.write_bytes(predictions(layer(CLAIM, PREMISE, relations=[SUPPORT])))

    call_command("import_predictions", "--dry-run", target.article.project.slug, str(path))
    assert Suggestion.objects.count() == 0
    call_command("import_predictions", target.article.project.slug, str(path))

    assert capsys.readouterr().out == (
        "Would import as suggestions: 1 layer, 2 unit suggestions, 1 relation suggestion.\n"
        "Imported as suggestions: 1 layer, 2 unit suggestions, 1 relation suggestion.\n"
    )
    assert [row[:2] for row in written(target)] == [
        ("relation", "lab-bert"),
        ("unit", "lab-bert"),
        ("unit", "lab-bert"),
    ]


def test_predictions_page_refuses_get_for_an_annotator_and_an_outsider(client, annotator, outsider, target):
    url = reverse("annotate:predictions_import", args=[target.article.project.slug])
    client.force_login(annotator)
    assert client.get(url).status_code == 403
    client.force_login(outsider)
    assert client.post(url, {"action": "import"}).status_code == 404
