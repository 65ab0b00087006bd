"""Label roles: every preset's scheme can be annotated sensibly and finished with
blocking structure checks; the checks follow roles, not names or order; scheme keys
stay clear of the workspace's command keys; the migration gives existing labels roles."""

import importlib

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError

from annotate import lifecycle, projects, relations, units, workspace
from annotate.forms import LabelForm, RelationTypeForm, UnitCreateForm
from annotate.models import COMMAND_KEYS, ArgumentRole, Change, Label, Layer, RelationType
from annotate.schemes import PRESETS
from annotate.structure import Finding
from tests.factories import make_article, make_project, make_user, scheme_of, span_of

TEXT = (
    "Cities should ban cars from their centres.\n\n"
    "Traffic kills thousands every year, and most trips in town are short. "
    "“Shops will suffer,” says the mayor. Everyone knows streets are for people. "
    "I walked there once. Footfall rose 12% in Ghent."
)


def layer_of(preset: str) -> tuple[Layer, dict]:
    """An annotator's layer of an article in a new project with `preset` whose
    structure checks block finishing, and the project's labels and relation types by name."""
    annotator = make_user()
    project = make_project(preset=preset, structure_checks_block=True)
    projects.set_member(project=project, user=annotator, role="annotator", by=None)
    article = make_article(project, text=TEXT)
    projects.assign(article=article, annotators=[annotator], by=None)
    return Layer.objects.select_related("article__project", "annotator").get(article=article), scheme_of(project)


def annotate(layer: Layer, scheme: dict, units_: list[tuple[str, str, dict]], links: list[tuple[int, int, str]]):
    made = [
        units.create_unit(
            layer=layer, label=scheme[label], spans=[span_of(TEXT, sentence)], attributes=attributes, user=None
        ).unit
        for label, sentence, attributes in units_
    ]
    for source, target, kind in links:
        relations.create_relation(layer=layer, type=scheme[kind], source=made[source], target=made[target], user=None)
    return made


SENSIBLE_LAYERS = {
    "aae": (
        [
            ("MajorClaim", "Cities should ban cars from their centres", {}),
            ("Claim", "Traffic kills thousands every year", {"stance": "For"}),
            ("Premise", "most trips in town are short", {}),
            ("Claim", "Shops will suffer", {"stance": "Against"}),
            ("Premise", "Footfall rose 12% in Ghent", {}),
        ],
        [(2, 0, "supports"), (4, 3, "attacks")],
    ),
    "premise_conclusion": (
        [
            ("Conclusion", "Cities should ban cars from their centres", {}),
            ("Premise", "Traffic kills thousands every year", {}),
            ("Premise", "most trips in town are short", {}),
        ],
        [(1, 0, "supports"), (2, 1, "supports")],
    ),
    "webis": (
        [
            ("assumption", "Cities should ban cars from their centres", {}),
            ("statistics", "Traffic kills thousands every year", {}),
            ("assumption", "most trips in town are short", {}),
            ("testimony", "“Shops will suffer,” says the mayor", {}),
            ("common-ground", "Everyone knows streets are for people", {}),
            ("anecdote", "I walked there once", {}),
            ("statistics", "Footfall rose 12% in Ghent", {}),
        ],
        [],
    ),
}


def test_every_preset_has_a_sensible_layer_here():
    assert sorted(SENSIBLE_LAYERS) == sorted(PRESETS)


@pytest.mark.parametrize("preset", sorted(SENSIBLE_LAYERS))
def test_a_sensibly_annotated_layer_of_every_preset_passes_the_checks_and_is_finished(db, preset):
    layer, scheme = layer_of(preset)
    annotate(layer, scheme, *SENSIBLE_LAYERS[preset])

    assert workspace.load(layer).findings == []

    lifecycle.finish_layer(layer=layer, user=layer.annotator)

    layer.refresh_from_db()
    assert layer.status == Layer.Status.FINISHED


def test_a_webis_layer_is_never_asked_for_links_or_a_main_conclusion(db):
    layer, scheme = layer_of("webis")
    annotate(
        layer, scheme, [("statistics", "Footfall rose 12% in Ghent", {}), ("other", "I walked there once", {})], []
    )

    assert workspace.load(layer).findings == []


def test_a_premise_conclusion_layer_is_asked_for_its_conclusion_and_its_links(db):
    layer, scheme = layer_of("premise_conclusion")
    annotate(layer, scheme, [("Premise", "Traffic kills thousands every year", {})], [])

    findings = workspace.load(layer).findings
    lifecycle.finish_layer(layer=layer, user=layer.annotator, confirmed=True)

    layer.refresh_from_db()
    assert (findings, layer.status) == (
        [
            Finding("There should be exactly one Conclusion; there are 0.", ()),
            Finding("1 Premise not linked to any other unit.", (layer.units.get().pk,)),
        ],
        Layer.Status.NOT_STARTED,
    )


def test_a_custom_scheme_whose_main_conclusion_label_is_not_first_is_checked_by_roles(db):
    layer, scheme = layer_of("webis")
    project = layer.article.project
    thesis = {"name": "thesis", "role": "main", "key": "h", "colour": "#000000", "order": 9, "attributes": {}}
    supports = {"name": "supports", "key": "s", "colour": "#2ca02c", "order": 0}
    scheme["thesis"] = projects.save_scheme_entry(entry=Label(project=project), values=thesis, user=None)
    scheme["supports"] = projects.save_scheme_entry(entry=RelationType(project=project), values=supports, user=None)
    made = annotate(
        layer,
        scheme,
        [
            ("statistics", "Footfall rose 12% in Ghent", {}),
            ("thesis", "Cities should ban cars from their centres", {}),
            ("assumption", "most trips in town are short", {}),
        ],
        [],
    )
    statistics, thesis, assumption = made

    # With a relation type, evidence and the assumption (a claim without a stance) need a link.
    assert workspace.load(layer).findings == [
        Finding("2 units not linked to any other unit.", (assumption.pk, statistics.pk))
    ]

    relations.create_relation(layer=layer, type=scheme["supports"], source=statistics, target=assumption, user=None)
    relations.create_relation(layer=layer, type=scheme["supports"], source=assumption, target=thesis, user=None)
    lifecycle.finish_layer(layer=layer, user=layer.annotator)

    layer.refresh_from_db()
    assert layer.status == Layer.Status.FINISHED
    outline = workspace.load(layer).outline
    assert [(node.unit.label, [child.unit.label for child in node.children]) for node in outline.roots] == [
        ("thesis", ["assumption"])
    ]
    assert [child.unit.label for child in outline.roots[0].children[0].children] == ["statistics"]


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_every_preset_label_has_a_role_and_no_entry_takes_a_command_key(preset):
    scheme = PRESETS[preset]
    entries = [*scheme.labels, *scheme.relation_types]

    assert [label["role"] in ArgumentRole.values for label in scheme.labels] == [True] * len(scheme.labels)
    assert [entry["key"] for entry in entries if entry["key"] in COMMAND_KEYS] == []


@pytest.mark.parametrize(
    ("preset", "roles"),
    [
        ("aae", [("MajorClaim", "main"), ("Claim", "claim"), ("Premise", "premise")]),
        ("premise_conclusion", [("Conclusion", "main"), ("Premise", "premise")]),
        (
            "webis",
            [
                ("assumption", "claim"),
                ("anecdote", "premise"),
                ("testimony", "premise"),
                ("statistics", "premise"),
                ("common-ground", "premise"),
                ("other", "other"),
            ],
        ),
    ],
)
def test_a_project_created_with_a_preset_gives_its_labels_their_roles(db, preset, roles):
    project = make_project(preset=preset)

    assert list(project.labels.values_list("name", "role")) == roles


def test_a_label_cannot_take_the_link_key(project):
    form = LabelForm(
        {"name": "Link", "role": "other", "key": "l", "colour": "#000000", "order": 5, "attributes": "{}"},
        project=project,
    )
    label = Label(project=project, name="Link", key="l", colour="#000000")

    assert form.errors == {"key": ["“l” is a workspace command key (it links the chosen unit): choose another key."]}
    with pytest.raises(ValidationError) as refusal:
        label.full_clean()
    assert refusal.value.message_dict == {
        "key": ["“l” is a workspace command key (it links the chosen unit): choose another key."]
    }


@pytest.mark.parametrize("key", ["e", "1", "9"])
def test_a_relation_type_cannot_take_a_command_key(project, key):
    form = RelationTypeForm({"name": "rebuts", "key": key, "colour": "#000000", "order": 5}, project=project)

    assert form.errors == {"key": [f"“{key}” is a workspace command key (it {COMMAND_KEYS[key]}): choose another key."]}


def test_a_label_keeps_a_free_key_and_its_role_is_edited_and_recorded(client, project, manager):
    premise = project.labels.get(name="Premise")
    client.force_login(manager)
    data = {
        "name": "Premise",
        "description": premise.description,
        "role": "other",
        "key": "0",
        "colour": premise.colour,
        "order": 2,
        "attributes": "{}",
    }

    response = client.post(f"/p/{project.slug}/scheme/label/{premise.pk}/", data)

    assert response.status_code == 302
    premise.refresh_from_db()
    record = Change.objects.filter(action="label.save").get()
    assert (premise.role, premise.key) == ("other", "0")
    assert (record.before, record.after) == ({"role": "premise", "key": "p"}, {"role": "other", "key": "0"})


def test_the_migration_gives_existing_labels_the_roles_of_their_names(db):
    aae, webis = make_project(preset="aae"), make_project(preset="webis")
    Label.objects.create(project=aae, name="Rebuttal", key="r", order=3)
    Label.objects.update(role="other")
    migration = importlib.import_module("annotate.migrations.0005_label_role_snap_keeps_punctuation")

    migration.set_roles(apps, None)

    assert list(aae.labels.values_list("name", "role")) == [
        ("MajorClaim", "main"),
        ("Claim", "claim"),
        ("Premise", "premise"),
        ("Rebuttal", "other"),
    ]
    assert list(webis.labels.values_list("role", flat=True)) == [
        "claim",
        "premise",
        "premise",
        "premise",
        "premise",
        "other",
    ]


def test_the_scheme_page_shows_each_label_role(client, project, manager):
    client.force_login(manager)

    response = client.get(f"/p/{project.slug}/scheme/")

    rows = [(label.name, label.get_role_display()) for label in response.context["labels"]]
    assert rows == [("MajorClaim", "Main conclusion"), ("Claim", "Claim"), ("Premise", "Premise")]
    assert response.content.decode().count("<td>Main conclusion</td>") == 1


# Snapping that keeps punctuation: a project setting the workspace forms follow.


def test_the_settings_form_turns_on_keeping_punctuation(client, project, manager):
    client.force_login(manager)
    data = {
        "name": project.name,
        "description": "",
        "guidelines": "",
        "annotators_per_article": 2,
        "blind": "on",
        "snapping": "on",
        "snap_keeps_punctuation": "on",
    }

    response = client.post(f"/p/{project.slug}/settings/", data)

    assert response.status_code == 302
    project.refresh_from_db()
    assert (project.snapping, project.snap_keeps_punctuation) == (True, True)
    record = Change.objects.filter(action="project.settings").get()
    assert (record.before, record.after) == ({"snap_keeps_punctuation": False}, {"snap_keeps_punctuation": True})


@pytest.mark.parametrize(("keep", "quote"), [(False, "Shops will suffer"), (True, "“Shops will suffer,”")])
def test_a_selected_quotation_keeps_its_quotation_marks_when_the_project_says_so(project, keep, quote):
    claim = project.labels.get(name="Claim")
    start = TEXT.index("“Shops")
    data = {"revision": 0, "label": claim.pk, "start": start, "end": start + len("“Shops will suffer")}

    form = UnitCreateForm(data, text=TEXT, snapping=True, keep_punctuation=keep, labels=[claim])

    assert form.is_valid(), form.errors
    begin, end = form.cleaned_data["span"]
    assert TEXT[begin:end] == quote


def test_the_workspace_forms_keep_todays_snapping_when_not_told_otherwise(project):
    claim = project.labels.get(name="Claim")
    start = TEXT.index("“Shops")
    data = {"revision": 0, "label": claim.pk, "start": start, "end": start + len("“Shops will suffer,”")}

    form = UnitCreateForm(data, text=TEXT, snapping=True, labels=[claim])

    assert form.is_valid(), form.errors
    begin, end = form.cleaned_data["span"]
    assert TEXT[begin:end] == "Shops will suffer"


def test_a_label_form_that_names_no_role_keeps_the_label_role_and_a_new_label_is_other(client, project, manager):
    claim = project.labels.get(name="Claim")
    fields = {"colour": "#1f77b4", "order": 5, "attributes": "{}", "description": ""}
    client.force_login(manager)

    edited = client.post(f"/p/{project.slug}/scheme/label/{claim.pk}/", {"name": "Claim", "key": "k", **fields})
    created = client.post(f"/p/{project.slug}/scheme/label/new/", {"name": "Rebuttal", "key": "r", **fields})

    assert (edited.status_code, created.status_code) == (302, 302)

    assert list(project.labels.filter(name__in=["Claim", "Rebuttal"]).values_list("name", "role")) == [
        ("Claim", "claim"),
        ("Rebuttal", "other"),
    ]


def test_a_label_role_outside_the_four_is_refused(project):
    form = LabelForm(
        {"name": "Thesis", "role": "thesis", "key": "h", "colour": "#000000", "order": 5, "attributes": "{}"},
        project=project,
    )

    assert form.errors == {"role": ["Select a valid choice. thesis is not one of the available choices."]}


def test_the_label_page_offers_the_four_roles_with_the_label_role_chosen(client, project, manager):
    premise = project.labels.get(name="Premise")
    client.force_login(manager)

    response = client.get(f"/p/{project.slug}/scheme/label/{premise.pk}/")

    form = response.context["form"]
    assert list(form.fields["role"].choices) == [
        ("main", "Main conclusion"),
        ("claim", "Claim"),
        ("premise", "Premise"),
        ("other", "Other"),
    ]
    assert form["role"].value() == "premise"
    assert response.content.decode().count('<option value="premise" selected>Premise</option>') == 1
