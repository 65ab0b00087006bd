"""Suggestions in one layer: made from markers, shown beside the units, accepted and
rejected through the domain functions, undone like any change."""

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from annotate import history, projects, suggestions
from annotate.layer_content import entries, read_one
from annotate.models import Change, Layer, Suggestion
from annotate.suggestions import markers
from tests.factories import make_article, make_unit, scheme_of

TEXT = (
    "We must act now because the climate is changing. Therefore, governments should tax carbon.\n\n"
    "However, taxes hurt the poor. Although taxes are unpopular, they work. "
    "Sweden has taxed carbon since 1991."
)


def quotes(text, found):
    return [(hint.role, text[hint.span[0] : hint.span[1]]) for hint in found]


def test_markers_suggest_clauses_and_directions():
    hints, links = markers.hints(TEXT, markers.markers_of(None))
    assert quotes(TEXT, hints) == [
        ("claim", "We must act now"),
        ("premise", "the climate is changing"),
        ("claim", "governments should tax carbon"),
        ("claim", "taxes hurt the poor"),
        ("premise", "taxes are unpopular"),
        ("claim", "they work"),
    ]
    said = [(TEXT[slice(*link.source)], link.kind, TEXT[slice(*link.target)]) for link in links]
    assert said == [
        ("the climate is changing", "supports", "We must act now"),
        ("the climate is changing", "supports", "governments should tax carbon"),
        ("taxes hurt the poor", "attacks", "governments should tax carbon"),
        ("taxes are unpopular", "attacks", "they work"),
    ]


def test_since_with_a_year_is_no_reason():
    hints, _ = markers.hints("Prices fell since 2010. Prices fell, since demand fell.", markers.markers_of(None))
    assert [hint.role for hint in hints] == ["claim", "premise"]


def test_a_project_list_replaces_the_default():
    own = markers.markers_of({"premise": ["weil"]})
    assert own["premise"] == ["weil"]
    assert own["conclusion"] == markers.DEFAULT["conclusion"]
    assert markers.fingerprint(own) != markers.fingerprint(markers.markers_of(None))


@pytest.fixture
def suggesting(project, annotator, manager):
    project.suggestions = True
    project.save(update_fields=["suggestions"])
    article = make_article(project, text=TEXT)
    projects.assign(article=article, annotators=[annotator], by=manager)
    return Layer.objects.select_related("article__project").get(article=article, annotator=annotator)


def shown_now(layer):
    units, links = entries(
        read_one(layer),
        labels={label.pk: label for label in layer.article.project.scheme_labels},
        relation_types={kind.pk: kind for kind in layer.article.project.scheme_relation_types},
        text=layer.article.text,
    )
    return suggestions.shown(layer, units, links)


def test_off_by_default(layer):
    assert layer.article.project.suggestions is False
    assert shown_now(layer) == suggestions.NOTHING
    assert Suggestion.objects.count() == 0


def test_shown_are_made_once_and_hidden_under_units(suggesting, project):
    shown = shown_now(suggesting)
    assert [(ghost.label.name, TEXT[slice(*ghost.span)]) for ghost in shown.units][:3] == [
        ("Claim", "We must act now"),
        ("Premise", "the climate is changing"),
        ("Claim", "governments should tax carbon"),
    ]
    assert len(shown.relations) == 4
    made = Suggestion.objects.count()
    assert shown_now(suggesting) == shown  # nothing made again
    assert Suggestion.objects.count() == made
    make_unit(suggesting, scheme_of(project)["Claim"], "act now")
    again = shown_now(suggesting)
    assert [TEXT[slice(*ghost.span)] for ghost in again.units][0] == "the climate is changing"


def test_accept_reject_and_undo(suggesting, annotator):
    shown = shown_now(suggesting)
    link = shown.relations[0]
    changed = suggestions.accept(layer=suggesting, suggestion_id=link.id, user=annotator)
    assert [change.action for change in changed.records] == ["unit.create", "unit.create", "relation.create"]
    assert changed.records[-1].after["suggestion"] == {"id": link.id, "source": "markers", "model": None}
    after = shown_now(suggesting)
    assert len(after.units) == len(shown.units) - 2
    history.undo(layer=suggesting, user=annotator)
    assert shown_now(suggesting) == shown
    ghost = shown.units[0]
    suggestions.reject(layer=suggesting, suggestion_id=ghost.id, user=annotator)
    assert ghost.id not in [each.id for each in shown_now(suggesting).units]
    with pytest.raises(suggestions.AnnotationError) as refused:
        suggestions.reject(layer=suggesting, suggestion_id=ghost.id, user=annotator)
    assert str(refused.value) == "That suggestion was rejected already."
    assert history.pending(suggesting, annotator)[0] == "reject suggestion Claim “We must act now”"
    history.undo(layer=suggesting, user=annotator)
    assert shown_now(suggesting) == shown
    assert Change.objects.filter(layer=suggesting, action="suggestion.reject").count() == 1


def test_markers_are_edited_on_the_scheme_page(client_for, project, manager):
    client = client_for(manager)
    page = client.get(reverse("annotate:scheme", args=[project.slug]))
    assert page.status_code == 200
    assert page.context["markers_form"].initial["premise"] == "\n".join(markers.DEFAULT["premise"])
    url = reverse("annotate:scheme_markers", args=[project.slug])
    sent = {"premise": "Weil\nweil\n  denn  ", "conclusion": "also", "objection": "aber\n\n"}
    answer = client.post(url, sent)
    assert answer.status_code == 302
    project.refresh_from_db()
    assert project.suggestion_markers == {"premise": ["weil", "denn"], "conclusion": ["also"], "objection": ["aber"]}
    assert Change.objects.filter(project=project, action="project.settings").last().after == {
        "suggestion_markers": project.suggestion_markers
    }
    refused = client.post(url, {"premise": "x" * 41, "conclusion": "so", "objection": ""})
    assert refused.status_code == 422
    assert refused.context["markers_form"].errors == {
        "premise": ["“xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…” is longer than 40 characters: a marker is a few words."]
    }
    assert client.post(url, {"premise": "%%%"}).status_code == 422
    project.refresh_from_db()
    assert project.suggestion_markers == {"premise": ["weil", "denn"], "conclusion": ["also"], "objection": ["aber"]}
    assert client.post(url, {"default": "1"}).status_code == 302
    project.refresh_from_db()
    assert project.suggestion_markers == {}


def test_settings_turn_suggestions_on_and_say_what_blind_means(client_for, project, manager):
    client = client_for(manager)
    url = reverse("annotate:project_settings", args=[project.slug])
    page = client.get(url)
    assert "learns from curated gold alone" in page.context["form"].fields["suggestions"].help_text
    values = {key: value for key, value in page.context["form"].initial.items() if value not in (None, False)}
    values |= {"suggestions": "on", "retrain_after": "0"}
    refused = client.post(url, values)
    assert refused.status_code == 422
    assert refused.context["form"].errors == {
        "retrain_after": ["Train the model again after at least one newly finished layer."]
    }
    project.refresh_from_db()
    assert (project.suggestions, project.retrain_after) == (False, 5)
    assert client.post(url, values | {"retrain_after": "8"}).status_code == 302
    project.refresh_from_db()
    assert (project.suggestions, project.retrain_after) == (True, 8)


def test_a_change_of_markers_makes_them_again_and_keeps_rejections(suggesting, project, annotator):
    first = shown_now(suggesting)
    rejected = first.units[1]
    suggestions.reject(layer=suggesting, suggestion_id=rejected.id, user=annotator)
    project.suggestion_markers = {"premise": ["because"], "conclusion": [], "objection": []}
    project.save(update_fields=["suggestion_markers"])
    again = shown_now(Layer.objects.select_related("article__project").get(pk=suggesting.pk))
    assert [(ghost.label.name, TEXT[slice(*ghost.span)]) for ghost in again.units] == [("Claim", "We must act now")]
    assert again.relations == []
    assert Suggestion.objects.filter(layer=suggesting, status="rejected").count() == 1


@given(
    st.lists(st.tuples(st.integers(0, 60), st.integers(1, 12)), max_size=12),
    st.lists(st.tuples(st.integers(0, 60), st.integers(1, 12)), max_size=12),
)
def test_taken_stretches_meet_what_any_taken_span_meets(units, offered):
    taken = suggestions._Stretches((start, start + length) for start, length in units)
    spans = [(start, start + length) for start, length in units]
    for start, length in offered:
        span = (start, start + length)
        meets = any(span[0] < end and begin < span[1] for begin, end in spans)
        assert taken.meets(span) == meets
        if not meets:
            taken.add(span)
            spans.append(span)
