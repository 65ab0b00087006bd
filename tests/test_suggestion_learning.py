"""The suggestion model: what it learns from, what it predicts, what too little data and
a failed training leave in use, when it trains by itself, and its worker and page."""

import pytest

from annotate import suggestions
from annotate.models import Job, JobKind, JobStatus, Layer, Project, SuggestionModel
from annotate.suggestions import learning
from tests.suggestion_corpus import annotated_article, essay, gold_article

TOO_LITTLE = (
    "Trained on 3 curated articles; at least 10 are needed before suggestions come from a model. Marker hints continue."
)


@pytest.fixture
def gold(project, curator):
    """Twelve curated essays (finished gold) and one whose curation is not finished."""
    articles = [gold_article(project, curator, number) for number in range(12)]
    gold_article(project, curator, 99, finish=False)
    return articles


def finished_gold_ids(project):
    return sorted(
        Layer.objects.filter(article__project=project, annotator__isnull=True, status="finished").values_list(
            "pk", flat=True
        )
    )


def test_a_blind_project_learns_from_finished_gold_only(project, gold, annotator, manager):
    _, finished_layer = annotated_article(project, annotator, manager, 50)
    assert finished_layer.status == Layer.Status.FINISHED
    model = learning.train(project)
    assert model.status == SuggestionModel.Status.READY
    assert model.trained_on["layers"] == finished_gold_ids(project)
    assert (model.trained_on["articles"], model.trained_on["gold"], model.trained_on["finished"]) == (12, 12, 0)
    assert finished_layer.pk not in model.trained_on["layers"]
    assert model.gold_only is True
    assert model.version == 1
    assert len(model.held_out["articles"]) == 2


def test_a_project_that_is_not_blind_learns_from_finished_annotator_layers_too(project, gold, annotator, manager):
    Project.objects.filter(pk=project.pk).update(blind=False)
    project.refresh_from_db()
    _, finished_layer = annotated_article(project, annotator, manager, 50)
    annotated_article(project, annotator, manager, 51, finish=False)
    model = learning.train(project)
    assert model.trained_on["layers"] == sorted([*finished_gold_ids(project), finished_layer.pk])
    assert (model.trained_on["gold"], model.trained_on["finished"], model.gold_only) == (12, 1, False)


def test_the_model_finds_a_learnt_pattern_and_links_its_units(project, gold):
    model = learning.train(project)
    assert (model.span_f1_exact, model.span_f1_overlap, model.relation_f1) == (1.0, 1.0, 1.0)
    assert model.message == "No unit of MajorClaim in the training set: it is never suggested."
    text, found, links = essay(3)
    predicted = learning.predict(model, text, project)
    assert [(label.name, text[start:end]) for label, (start, end), _ in predicted.units] == found
    assert [
        (kind.name, text[slice(*source)], text[slice(*target)]) for kind, source, target, _ in predicted.relations
    ] == [("supports", found[source][1], found[target][1]) for source, target in links]


def test_too_little_data_is_stored_as_such_and_suggestions_stay_with_the_markers(project, curator, annotator, manager):
    for number in range(3):
        gold_article(project, curator, number)
    model = learning.train(project)
    assert (model.status, model.message, model.tagger) == (SuggestionModel.Status.TOO_LITTLE, TOO_LITTLE, b"")
    assert suggestions.current_model(project) is None
    Project.objects.filter(pk=project.pk).update(suggestions=True)
    _, layer = annotated_article(project, annotator, manager, 7, finish=False)
    layer = Layer.objects.select_related("article__project").get(pk=layer.pk)
    layer.units.all().delete()
    shown = suggestions.shown(layer, [], [])
    assert shown.units
    assert {ghost.source for ghost in shown.units} == {"markers"}


def test_a_failed_training_leaves_the_last_ready_version_in_use(project, gold, settings):
    ready = learning.train(project)
    settings.ANNOTATE_SUGGESTION_MAX_TOKENS = 100
    with pytest.raises(learning.TrainingError):
        learning.train(project)
    failed = SuggestionModel.objects.get(project=project, version=2)
    assert failed.status == SuggestionModel.Status.FAILED
    assert failed.message == (
        "The training set has 425 tokens, more than the 100 ANNOTATE_SUGGESTION_MAX_TOKENS allows: "
        "nothing was trained, and the model before stays in use."
    )
    assert suggestions.current_model(project).pk == ready.pk


def test_finished_layers_queue_one_training_once_enough_arrived(project, curator, django_capture_on_commit_callbacks):
    Project.objects.filter(pk=project.pk).update(suggestions=True, retrain_after=3)
    with django_capture_on_commit_callbacks(execute=True):
        gold_article(project, curator, 1)
        gold_article(project, curator, 2)
    assert Job.objects.filter(project=project, kind=JobKind.TRAINING).count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        gold_article(project, curator, 3)
        gold_article(project, curator, 4)  # one is queued already: not a second
    assert list(Job.objects.filter(project=project, kind=JobKind.TRAINING).values_list("status", flat=True)) == [
        JobStatus.QUEUED
    ]


def test_relations_start_only_from_labels_they_started_from_in_training(project, gold):
    model = learning.train(project)
    weights = model.relation_weights
    assert weights["sources"] == ["Premise"]
    text, _, _ = essay(3)
    read = learning.Text.read(text, learning.marker_hints.markers_of(None))
    found = learning.tag_text(learning.open_tagger(bytes(model.tagger)), read)
    units = learning._units(read, [(label, span) for label, span, _ in found])
    assert {unit.label for unit in units} >= {"Claim", "Premise"}
    # Weights that link every pair (the constant feature, first, votes for the first type):
    # pairs from a Claim are suggested only when Claim is among the sources.
    linking = [[0.0] * len(weights["classes"]) for _ in weights["weights"]]
    linking[0][1] = 100.0
    everything = dict(weights, weights=linking, sources=["Claim", "MajorClaim", "Premise"])
    assert {source.label for source, _, _, _ in learning.relation_scores(everything, read, units)} >= {"Claim"}
    premises_only = dict(everything, sources=["Premise"])
    assert {source.label for source, _, _, _ in learning.relation_scores(premises_only, read, units)} == {"Premise"}


def test_a_model_in_use_takes_the_marker_hints_place(project, gold, annotator, manager):
    from annotate import projects
    from tests.factories import make_article

    Project.objects.filter(pk=project.pk).update(suggestions=True)
    article = make_article(project, text=essay(30)[0], title="Essay 30")
    projects.assign(article=article, annotators=[annotator], by=manager)
    layer = Layer.objects.select_related("article__project").get(article=article, annotator=annotator)
    before = suggestions.refresh(layer)
    assert {each.source for each in before} == {"markers"}
    learning.train(project)
    after = suggestions.refresh(Layer.objects.select_related("article__project").get(pk=layer.pk))
    assert {each.source for each in after} == {"model"}
    assert set(layer.suggestions.values_list("source", flat=True)) == {"model"}


def test_a_pairs_features_are_its_distance_places_markers_and_labels():
    text = "We must act now because the climate is changing.\n\nHowever, taxes hurt the poor."
    markers = {"premise": ["because"], "conclusion": [], "objection": ["however"]}
    read = learning.Text.read(text, markers)
    quotes = [("Claim", "We must act now"), ("Premise", "the climate is changing"), ("Claim", "taxes hurt the poor")]
    units = learning._units(read, [(label, (text.index(q), text.index(q) + len(q))) for label, q in quotes])
    pairs = learning._pairs(units)
    assert pairs == [(0, 1), (0, 2), (1, 0), (1, 2), (2, 0), (2, 1)]
    rows = learning.pair_features(read, units, pairs, ["Claim", "Premise"]).tolist()
    # Fixed: bias, order step / 5, its size / 5, adjacent, sentences apart / 5, same sentence,
    # same paragraph, source first, source and target in the first paragraph, in the last.
    # Then per unit (source, target) a marker of each kind (premise, conclusion, objection)
    # just before it and inside it; the markers between; the labels one-hot, and the pair's.
    premise_claim = [1, -0.2, 0.2, 1, 0, 1, 1, 0, 1, 1, 0, 0]
    premise_claim += [1, 0, 0, 0, 0, 0] + [0, 0, 0, 0, 0, 0] + [1, 0, 0]
    premise_claim += [0, 1] + [1, 0] + [0, 0, 1, 0]
    assert rows[pairs.index((1, 0))] == premise_claim
    across = [1, -0.2, 0.2, 1, 0.2, 0, 0, 0, 0, 1, 1, 0]
    across += [0, 0, 1, 0, 0, 0] + [1, 0, 0, 0, 0, 0] + [0, 0, 1]
    across += [1, 0] + [0, 1] + [0, 1, 0, 0]
    assert rows[pairs.index((2, 1))] == across
    assert learning.pair_features(read, units[:1], learning._pairs(units[:1]), ["Claim", "Premise"]).shape == (0, 35)
