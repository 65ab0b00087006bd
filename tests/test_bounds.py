"""Every stored field that a member writes has a bound, held alike by the pages, the admin
and imports (imports: tests/test_hostile_imports.py); and a project's labels are read
once per scheme version, so a save costs the same whatever the scheme holds, and every
way of changing the scheme is seen by the next save."""

import json

import lxml.html
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import reverse

from annotate import datasets
from annotate.formats.records import ArticleRecord
from annotate.models import ArgumentUnit, Label, Project
from tests.test_workspace_views import open_page, post

CLAIM_ATTRIBUTES = {"stance": ["For", "Against"]}


def label_form(label: Label, **changes) -> dict:
    values = {
        "name": label.name,
        "description": label.description,
        "role": label.role,
        "key": label.key,
        "colour": label.colour,
        "order": label.order,
        "attributes": json.dumps(label.attributes),
    }
    return {**values, **changes}


def scheme_state(project: Project):
    project.refresh_from_db()
    return project.scheme_version, sorted(project.labels.values_list("name", "description", "attributes"))


def errors_of(response) -> list[str]:
    """The field errors a page shows: ours (p.error with role alert) and the admin's."""
    page = lxml.html.fromstring(response.content.decode())
    shown = page.xpath("//main//p[@class='error'][@role='alert'] | //ul[contains(@class, 'errorlist')]/li")
    return [" ".join(element.text_content().split()) for element in shown]


# The label form


@pytest.mark.parametrize(
    ("attributes", "message"),
    [
        ({f"a{n}": ["x"] for n in range(11)}, "A label may have at most 10 attributes, not 11."),
        ({"stance": [f"v{n}" for n in range(10_000)]}, "“stance” may have at most 20 values, not 10,000."),
        (
            {"stance": ["For", "A" * 61]},
            f"“{'A' * 60}…” has 61 characters: an attribute's name and each of its values need 1 to 60.",
        ),
        ({"stance": ["For", " "]}, "“ ” has 1 characters: an attribute's name and each of its values need 1 to 60."),
        (
            {f"attribute{n}": [f"{m}" + "é" * 20 for m in range(20)] for n in range(10)},
            "The attributes take 9,051 bytes as JSON, more than the 4,096 they may.",
        ),
        ({"stance": "For"}, 'Use {"name": ["value", ...]}, e.g. {"stance": ["For", "Against"]}.'),
    ],
    ids=["attributes", "values", "long-value", "blank-value", "bytes", "shape"],
)
def test_the_label_form_refuses_attributes_past_their_bounds_and_changes_nothing(
    client, manager, project, scheme, attributes, message
):
    client.force_login(manager)
    claim = scheme["Claim"]
    before = scheme_state(project)

    response = client.post(
        reverse("annotate:scheme_entry_edit", args=[project.slug, "label", claim.pk]),
        label_form(claim, attributes=json.dumps(attributes)),
    )

    assert (response.status_code, errors_of(response)) == (422, [message])
    assert scheme_state(project) == before


def test_the_label_form_refuses_a_description_past_its_bound(client, manager, project, scheme):
    client.force_login(manager)
    before = scheme_state(project)

    response = client.post(
        reverse("annotate:scheme_entry_create", args=[project.slug, "label"]),
        label_form(Label(name="Aside", key="x", colour="#123456"), description="d" * 2_001),
    )

    assert (response.status_code, errors_of(response)) == (
        422,
        ["Ensure this value has at most 2000 characters (it has 2001)."],
    )
    assert scheme_state(project) == before


def test_the_label_form_takes_attributes_at_their_bounds(client, manager, project, scheme):
    client.force_login(manager)
    at_bounds = {f"a{n}": [f"{n}{m}" for m in range(20)] for n in range(9)} | {"s" * 60: ["v" * 60]}

    response = client.post(
        reverse("annotate:scheme_entry_edit", args=[project.slug, "label", scheme["Claim"].pk]),
        label_form(scheme["Claim"], attributes=json.dumps(at_bounds)),
    )

    assert (response.status_code, response["Location"]) == (302, reverse("annotate:scheme", args=[project.slug]))
    assert Label.objects.get(pk=scheme["Claim"].pk).attributes == at_bounds


def test_the_project_settings_refuse_guidelines_and_a_description_past_their_bounds(client, manager, project):
    client.force_login(manager)
    page = lxml.html.fromstring(client.get(reverse("annotate:project_settings", args=[project.slug])).content.decode())
    form = {name: value for name, value in page.forms[-1].form_values()}

    response = client.post(
        reverse("annotate:project_settings", args=[project.slug]),
        {**form, "guidelines": "g" * 50_001, "description": "d" * 2_001},
    )

    project.refresh_from_db()
    assert (response.status_code, errors_of(response)) == (
        422,
        [
            "Ensure this value has at most 2000 characters (it has 2001).",
            "Ensure this value has at most 50000 characters (it has 50001).",
        ],
    )
    assert (project.guidelines, project.description) == ("", "")


# The admin


def test_the_admin_refuses_label_attributes_past_their_bounds(admin_client, project, scheme):
    claim = scheme["Claim"]
    before = scheme_state(project)
    form = {**label_form(claim), "project": project.pk}

    response = admin_client.post(
        reverse("admin:annotate_label_change", args=[claim.pk]),
        {**form, "attributes": json.dumps({"stance": [str(n) for n in range(21)]})},
    )

    assert (response.status_code, errors_of(response)) == (200, ["“stance” may have at most 20 values, not 21."])
    assert scheme_state(project) == before


def test_the_admin_refuses_article_metadata_past_their_bound(admin_client, project, article):
    page = admin_client.get(reverse("admin:annotate_article_change", args=[article.pk]))
    form = dict(lxml.html.fromstring(page.content.decode()).forms[-1].form_values())

    response = admin_client.post(
        reverse("admin:annotate_article_change", args=[article.pk]),
        {**form, "metadata": json.dumps({"tags": ["opinion"] * 2000})},
    )

    article.refresh_from_db()
    assert (response.status_code, errors_of(response)) == (
        200,
        ["The metadata take 20,010 bytes as JSON, more than the 16,384 they may."],
    )
    assert article.metadata == {}


def test_an_import_refuses_an_article_text_past_its_bound(project, manager):
    record = ArticleRecord(title="A long one", text="word " * 400_001)

    report = datasets.import_records(project=project, records=[record], user=manager)

    assert report.problems == ["Article 1: the text has 2,000,005 characters, more than the 2,000,000 it may have"]
    assert project.articles.count() == 0


# The labels of a scheme version, read once


# The types of PostgreSQL's variable-length texts: text, varchar, char, json, jsonb.
TEXT_TYPES = {25, 1043, 1042, 114, 3802}


class TextRead:
    """The statements run, and the bytes of the texts and JSON values they gave, counted
    as psycopg received them (numbers and times vary in length with their values)."""

    def __init__(self):
        self.statements, self.bytes = 0, 0

    def __call__(self, execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        self.statements += 1
        answer = context["cursor"].cursor.pgresult
        if answer is not None:
            columns = [column for column in range(answer.nfields) if answer.ftype(column) in TEXT_TYPES]
            values = (answer.get_value(row, column) for row in range(answer.ntuples) for column in columns)
            self.bytes += sum(len(value) for value in values if value is not None)
        return result


def relabel_cost(client, layer, unit_id: int, label: Label) -> tuple[int, int]:
    """The statements a relabel runs and the bytes of text it reads."""
    with connection.execute_wrapper(counter := TextRead()):
        response = post(client, "unit_label", layer, unit_id, label=label.pk)
    assert response.status_code == 200
    return counter.statements, counter.bytes


def pad_the_scheme(project: Project) -> int:
    """Fill the scheme's texts to about a megabyte, as a scheme made before the bounds
    could be (through the database, past the forms); the bytes it holds."""
    project.labels.update(description="d" * 200_000)
    project.relation_types.update(description="r" * 100_000)
    Project.objects.filter(pk=project.pk).update(guidelines="g" * 300_000)
    return sum(len(label.description) for label in project.labels.all()) + 300_000 + 200_000


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_a_save_reads_the_same_whatever_the_scheme_holds(client, annotator, project, scheme, layer):
    client.force_login(annotator)
    open_page(client, layer)
    made = post(client, "unit_create", layer, label=scheme["Claim"].pk, start=0, end=6)
    unit_id = json.loads(made["HX-Trigger"])["layer-changed"]["unit"]
    relabel_cost(client, layer, unit_id, scheme["Premise"])  # the cache holds this version's labels
    small = relabel_cost(client, layer, unit_id, scheme["Claim"])

    held = pad_the_scheme(project)
    open_page(client, layer)  # a new version: its labels are read once, here
    relabel_cost(client, layer, unit_id, scheme["Premise"])
    large = relabel_cost(client, layer, unit_id, scheme["Claim"])

    assert held > 1_000_000
    assert large == small


# Every way of changing the scheme is seen by the next save


def labels_on_the_page(client, layer) -> dict[str, int]:
    page = lxml.html.fromstring(open_page(client, layer).content)
    return {
        button.xpath("normalize-space(span/following-sibling::text()[1])"): int(button.get("data-label"))
        for button in page.xpath("//button[@data-label]")
    }


def as_manager(manager) -> Client:
    client = Client()
    client.force_login(manager)
    return client


def add_by_form(project, manager, admin_client):
    form = label_form(Label(name="Aside", key="x", colour="#123456", role="other"))
    as_manager(manager).post(reverse("annotate:scheme_entry_create", args=[project.slug, "label"]), form)


def add_by_admin(project, manager, admin_client):
    form = {**label_form(Label(name="Aside", key="x", colour="#123456", role="other")), "project": project.pk}
    admin_client.post(reverse("admin:annotate_label_add"), form)


def add_by_import(project, manager, admin_client):
    text = "Aside: cars are loud."
    unit = {"id": "T1", "label": "Aside", "spans": [[0, 5]], "text": ["Aside"]}
    line = {"title": "t", "text": text, "layers": [{"owner": "gold", "units": [unit]}]}
    as_manager(manager).post(
        reverse("annotate:dataset_import", args=[project.slug]),
        {
            "files": [SimpleUploadedFile("more.jsonl", json.dumps(line).encode())],
            **{"action": "import", "unknown": "add", "existing": "skip", "owner": ""},
        },
    )


def add_in_bulk(project, manager, admin_client):
    Label.objects.bulk_create([Label(project=project, name="Aside", key="x", colour="#123456")])


@pytest.mark.parametrize("add", [add_by_form, add_by_admin, add_by_import, add_in_bulk])
def test_a_label_added_any_way_is_on_the_next_page_and_taken_by_the_next_save(
    client, admin_client, manager, annotator, project, scheme, layer, add
):
    client.force_login(annotator)
    assert "Aside" not in labels_on_the_page(client, layer)  # the cache now holds the scheme without it

    add(project, manager, admin_client)
    aside = labels_on_the_page(client, layer)["Aside"]
    response = post(client, "unit_create", layer, label=aside, start=0, end=6)

    assert response.status_code == 200
    assert list(ArgumentUnit.objects.filter(layer=layer).values_list("label__name", flat=True)) == ["Aside"]


def test_a_label_deleted_from_the_admin_is_refused_by_the_next_save(client, admin_client, annotator, project, layer):
    aside = Label.objects.create(project=project, name="Aside", key="x", colour="#123456")
    client.force_login(annotator)
    assert labels_on_the_page(client, layer)["Aside"] == aside.pk

    admin_client.post(
        reverse("admin:annotate_label_changelist"),
        {"action": "delete_selected", "_selected_action": [aside.pk], "post": "yes"},
    )
    response = post(client, "unit_create", layer, label=aside.pk, start=0, end=6)

    assert "Aside" not in labels_on_the_page(client, layer)
    assert response.status_code == 422
    assert ArgumentUnit.objects.filter(layer=layer).count() == 0


def test_an_attribute_value_added_on_the_label_form_is_taken_by_the_next_save(
    client, annotator, manager, project, scheme, layer
):
    client.force_login(annotator)
    open_page(client, layer)
    made = post(client, "unit_create", layer, label=scheme["Claim"].pk, start=0, end=6)
    unit_id = json.loads(made["HX-Trigger"])["layer-changed"]["unit"]

    as_manager(manager).post(
        reverse("annotate:scheme_entry_edit", args=[project.slug, "label", scheme["Claim"].pk]),
        label_form(scheme["Claim"], attributes=json.dumps({"stance": ["For", "Against", "Undecided"]})),
    )
    response = post(client, "unit_attribute", layer, unit_id, name="stance", value="Undecided")

    assert response.status_code == 200
    assert ArgumentUnit.objects.get(pk=unit_id).attributes == {"stance": "Undecided"}
