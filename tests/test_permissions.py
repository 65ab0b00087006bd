"""Every URL, visited as every persona: the expected status, and nothing leaks.

Adding a URL without an entry in MATRIX fails `test_permission_matrix_covers_every_url`.
"""

import uuid

import lxml.html
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from annotate import accounts, relations, units
from annotate.models import Job, JobKind, JobStatus, Layer, Membership, Role, Upload
from tests.factories import make_article

PERSONAS = ["manager", "curator", "annotator", "outsider", "anonymous"]
MEMBERS_OK = {"manager": 200, "curator": 200, "annotator": 200, "outsider": 404, "anonymous": 302}
# Curation pages (review, agreement, export): a member whose role does not allow them
# is told so (403), an outsider is not even told the project exists (404).
CURATORS_OK = {"manager": 200, "curator": 200, "annotator": 403, "outsider": 404, "anonymous": 302}
MANAGERS_ONLY = {"manager": 200, "curator": 403, "annotator": 403, "outsider": 404, "anonymous": 302}
ANY_USER = {"manager": 200, "curator": 200, "annotator": 200, "outsider": 200, "anonymous": 302}
# A change to the annotator's layer with no form data: the annotator is answered with a
# message (422, nothing changed); nobody else may change the layer at all (404).
LAYER_POST = {"manager": 404, "curator": 404, "annotator": 422, "outsider": 404, "anonymous": 302}
MANAGER_POST = {"manager": 302, "curator": 403, "annotator": 403, "outsider": 404, "anonymous": 302}

# route name → (method, kwargs from the scenario, expected status by persona)
MATRIX = {
    "project_list": ("get", lambda s: {}, ANY_USER),
    # Project creation is for staff and holders of annotate.add_project (the default of
    # ANNOTATE_PROJECT_CREATORS); no persona is either.
    "project_create": (
        "get",
        lambda s: {},
        {"manager": 403, "curator": 403, "annotator": 403, "outsider": 403, "anonymous": 302},
    ),
    "project_detail": ("get", lambda s: {"slug": s.slug}, MEMBERS_OK),
    "queue_next": (
        "get",
        lambda s: {"slug": s.slug},
        {"manager": 302, "curator": 302, "annotator": 302, "outsider": 404, "anonymous": 302},
    ),
    "project_settings": ("get", lambda s: {"slug": s.slug}, MANAGERS_ONLY),
    "project_delete": ("get", lambda s: {"slug": s.slug}, MANAGERS_ONLY),
    "article_list": ("get", lambda s: {"slug": s.slug}, MEMBERS_OK),
    "article_create": ("get", lambda s: {"slug": s.slug}, MANAGERS_ONLY),
    # An annotator is sent on to their own layer of the article.
    "article_detail": (
        "get",
        lambda s: {"slug": s.slug, "pk": s.article.pk},
        {"manager": 200, "curator": 200, "annotator": 302, "outsider": 404, "anonymous": 302},
    ),
    # Review and adjudication: curators and managers only. An empty "Adopt majority"
    # form is answered with its errors (422).
    "review": ("get", lambda s: {"slug": s.slug, "pk": s.article.pk}, CURATORS_OK),
    "review_adopt": ("post", lambda s: {"slug": s.slug, "pk": s.article.pk, "unit_pk": s.unit.pk}, CURATORS_OK),
    "review_majority": (
        "post",
        lambda s: {"slug": s.slug, "pk": s.article.pk},
        {**CURATORS_OK, "manager": 422, "curator": 422},
    ),
    # Gold's suggestions, adopted or rejected from the review: there is none here, so a
    # curator or manager is told so (422).
    "review_suggestion_accept": (
        "post",
        lambda s: {"slug": s.slug, "pk": s.article.pk, "suggestion_pk": 1},
        {**CURATORS_OK, "manager": 422, "curator": 422},
    ),
    "review_suggestion_reject": (
        "post",
        lambda s: {"slug": s.slug, "pk": s.article.pk, "suggestion_pk": 1},
        {**CURATORS_OK, "manager": 422, "curator": 422},
    ),
    "review_finish": ("post", lambda s: {"slug": s.slug, "pk": s.article.pk}, CURATORS_OK),
    "review_reopen": ("post", lambda s: {"slug": s.slug, "pk": s.article.pk}, CURATORS_OK),
    # Starting gold from scratch sends a curator on to the gold layer in the workspace.
    "review_gold": (
        "post",
        lambda s: {"slug": s.slug, "pk": s.article.pk},
        {**CURATORS_OK, "manager": 302, "curator": 302},
    ),
    # The annotator's own layer: everyone in the project who may read it (curators,
    # managers) gets it; changes only by its annotator (curators edit gold, not this).
    "layer_detail": ("get", lambda s: s.layer_kwargs(), MEMBERS_OK),
    "layer_panel": ("get", lambda s: s.layer_kwargs(), MEMBERS_OK),
    "layer_outline": ("get", lambda s: s.layer_kwargs(), MEMBERS_OK),
    "layer_map": ("get", lambda s: s.layer_kwargs(), MEMBERS_OK),
    "unit_create": ("post", lambda s: s.layer_kwargs(), LAYER_POST),
    "unit_label": ("post", lambda s: s.layer_kwargs(unit_pk=s.unit.pk), LAYER_POST),
    "unit_attribute": ("post", lambda s: s.layer_kwargs(unit_pk=s.unit.pk), LAYER_POST),
    "unit_spans": ("post", lambda s: s.layer_kwargs(unit_pk=s.unit.pk), LAYER_POST),
    "unit_note": ("post", lambda s: s.layer_kwargs(unit_pk=s.unit.pk), LAYER_POST),
    "unit_delete": ("post", lambda s: s.layer_kwargs(unit_pk=s.unit.pk), LAYER_POST),
    "relation_create": ("post", lambda s: s.layer_kwargs(), LAYER_POST),
    "relation_delete": ("post", lambda s: s.layer_kwargs(relation_pk=s.relation.pk), LAYER_POST),
    # Suggestions in the annotator's layer: accepted or rejected by its annotator alone
    # (the page sent no revision: a message, 422); a curator does so in gold.
    "suggestion_accept": ("post", lambda s: s.layer_kwargs(suggestion_pk=1), LAYER_POST),
    "suggestion_reject": ("post", lambda s: s.layer_kwargs(suggestion_pk=1), LAYER_POST),
    "suggestions_accept_all": ("post", lambda s: s.layer_kwargs(), LAYER_POST),
    "layer_undo": ("post", lambda s: s.layer_kwargs(), LAYER_POST),
    "layer_redo": ("post", lambda s: s.layer_kwargs(), LAYER_POST),
    "layer_finish": ("post", lambda s: s.layer_kwargs(), LAYER_POST),
    "layer_reopen": ("post", lambda s: s.layer_kwargs(), LAYER_POST),
    "layer_stance": ("post", lambda s: s.layer_kwargs(), LAYER_POST),
    "agreement": ("get", lambda s: {"slug": s.slug}, CURATORS_OK),
    # Every member sees the team page (an annotator their own figures); the project's
    # pace, of which the throughput table is part, is for curators.
    "team": ("get", lambda s: {"slug": s.slug}, MEMBERS_OK),
    "team_csv": ("get", lambda s: {"slug": s.slug, "table": "throughput"}, CURATORS_OK),
    "dataset_export": ("get", lambda s: {"slug": s.slug}, CURATORS_OK),
    # The suggestion model's versions: curators read them; managers also train one now.
    "suggestion_models": ("get", lambda s: {"slug": s.slug}, CURATORS_OK),
    "suggestion_train": ("post", lambda s: {"slug": s.slug}, MANAGER_POST),
    "dataset_import": ("get", lambda s: {"slug": s.slug}, MANAGERS_ONLY),
    # Machine predictions as suggestions: curators and managers, as for the review.
    "predictions_import": ("get", lambda s: {"slug": s.slug}, CURATORS_OK),
    # An import's job: followed and cancelled by managers (cancelled, back to its page).
    "job_detail": ("get", lambda s: {"slug": s.slug, "pk": s.job.pk}, MANAGERS_ONLY),
    "job_cancel": ("post", lambda s: {"slug": s.slug, "pk": s.job.pk}, MANAGER_POST),
    # Chunked uploads: managers only, each their own; a step with no data is answered
    # with its message (422).
    "upload_start": ("post", lambda s: {"slug": s.slug}, {**MANAGERS_ONLY, "manager": 422}),
    "upload_chunk": ("get", lambda s: {"slug": s.slug, "token": s.upload.token}, MANAGERS_ONLY),
    "upload_finish": ("post", lambda s: {"slug": s.slug, "token": s.upload.token}, {**MANAGERS_ONLY, "manager": 422}),
    "upload_import": ("post", lambda s: {"slug": s.slug, "token": s.upload.token}, {**MANAGERS_ONLY, "manager": 422}),
    # The file a worker wrote for an export: for curators and managers.
    "export_download": ("get", lambda s: {"slug": s.slug, "pk": s.export.pk}, CURATORS_OK),
    "member_list": ("get", lambda s: {"slug": s.slug}, MANAGERS_ONLY),
    "member_remove": ("post", lambda s: {"slug": s.slug, "pk": s.spare_membership.pk}, MANAGER_POST),
    # Accounts from the Members page. A change without a link to show sends a plain POST
    # back to the page; one with a link (a password link) shows it in the answer; an
    # empty form, and a refusal (reactivating an active member), are answered with
    # their message (422).
    "member_deactivate": ("post", lambda s: {"slug": s.slug, "pk": s.spare_membership.pk}, MANAGER_POST),
    "member_reactivate": (
        "post",
        lambda s: {"slug": s.slug, "pk": s.spare_membership.pk},
        {**MANAGER_POST, "manager": 422},
    ),
    "member_reset_link": (
        "post",
        lambda s: {"slug": s.slug, "pk": s.spare_membership.pk},
        {**MANAGER_POST, "manager": 200},
    ),
    "account_create": ("post", lambda s: {"slug": s.slug}, {**MANAGER_POST, "manager": 422}),
    "invite_create": ("post", lambda s: {"slug": s.slug}, {**MANAGER_POST, "manager": 422}),
    "invite_revoke": ("post", lambda s: {"slug": s.slug, "pk": s.invite.pk}, MANAGER_POST),
    # A user's own API tokens: every logged-in user has the page; revoking a token of no one's is a 404.
    "api_tokens": ("get", lambda s: {}, ANY_USER),
    "api_token_revoke": (
        "post",
        lambda s: {"pk": 999_999},
        {"manager": 404, "curator": 404, "annotator": 404, "outsider": 404, "anonymous": 302},
    ),
    # An invite link is for whoever holds it: its page is open to anyone, logged in or not.
    "invite_accept": ("get", lambda s: {"token": s.invite_token}, {**ANY_USER, "anonymous": 200}),
    "scheme": ("get", lambda s: {"slug": s.slug}, MANAGERS_ONLY),
    "scheme_css": ("get", lambda s: {"slug": s.slug}, MEMBERS_OK),
    # An empty form saves empty lists: no marker hints (back to the page).
    "scheme_markers": ("post", lambda s: {"slug": s.slug}, MANAGER_POST),
    "scheme_entry_create": ("get", lambda s: {"slug": s.slug, "entry_type": "label"}, MANAGERS_ONLY),
    "scheme_entry_edit": ("get", lambda s: {"slug": s.slug, "entry_type": "label", "pk": s.label.pk}, MANAGERS_ONLY),
    "assignment": ("get", lambda s: {"slug": s.slug}, MANAGERS_ONLY),
    "assignment_spread": ("post", lambda s: {"slug": s.slug}, MANAGER_POST),
    # Nobody ticked: refused with a message, and back to the page.
    "assignment_unassign": ("post", lambda s: {"slug": s.slug}, MANAGER_POST),
    # An empty grid: nothing to save, and back to the page.
    "assignment_save": ("post", lambda s: {"slug": s.slug}, MANAGER_POST),
}


def route_names(resolver=None, namespace="") -> set[str]:
    names = set()
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names |= route_names(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name and namespace == "annotate:":
            names.add(pattern.name)
    return names


def test_permission_matrix_covers_every_url():
    assert route_names() == set(MATRIX)


class Scenario:
    def __init__(self, project, article, manager):
        self.slug = project.slug
        self.article = article
        self.label = project.labels.first()
        spare = make_article(project).pk  # noqa: F841 - a second article keeps lists non-trivial
        self.spare_membership = Membership.objects.filter(project=project, role="annotator").last()
        self.job = Job.objects.create(project=project, kind=JobKind.IMPORT, created_by=manager)
        self.invite, self.invite_token = accounts.create_invite(project=project, role=Role.ANNOTATOR, by=manager)
        self.upload = Upload.objects.create(
            token=uuid.uuid4(), project=project, created_by=manager, file_name="a.jsonl", size=10, folder="uploads/a"
        )
        self.export = Job.objects.create(
            project=project,
            kind=JobKind.EXPORT,
            status=JobStatus.DONE,
            finished_at=timezone.now(),
            file="exports/x",
            result={
                "format": "csv",
                "file": default_storage.save("exports/x/a.csv", ContentFile(b"a\n")),
                "file_name": "a.csv",
                "bytes": 2,
                "units": 0,
            },
        )
        self.layer = Layer.objects.get(article=article, annotator__username="ann_annotator")
        claim, premise = project.labels.get(name="Claim"), project.labels.get(name="Premise")
        owner = self.layer.annotator
        self.unit = units.create_unit(layer=self.layer, label=claim, spans=[(0, 6)], user=owner).unit
        other = units.create_unit(layer=self.layer, label=premise, spans=[(7, 17)], user=owner).unit
        kind = project.relation_types.first()
        self.relation = relations.create_relation(
            layer=self.layer, type=kind, source=other, target=self.unit, user=owner
        ).relation

    def layer_kwargs(self, **extra):
        return {"slug": self.slug, "pk": self.layer.pk, **extra}


@pytest.fixture
def scenario(project, article, manager, curator, annotator, annotator2, outsider, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path  # where the export's file is
    return Scenario(project, article, manager)


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("route", sorted(MATRIX))
def test_permission_matrix(route, persona, scenario, client, request):
    method, kwargs, expected = MATRIX[route]
    if persona != "anonymous":
        client.force_login(request.getfixturevalue(persona))

    response = getattr(client, method)(reverse(f"annotate:{route}", kwargs=kwargs(scenario)))

    assert response.status_code == expected[persona]
    if persona == "anonymous" and response.status_code == 302:
        assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("route", sorted(name for name, (method, _, _) in MATRIX.items() if method == "post"))
def test_post_only_routes_refuse_get(route, scenario, client, manager):
    client.force_login(manager)

    response = client.get(reverse(f"annotate:{route}", kwargs=MATRIX[route][1](scenario)))

    assert response.status_code == 405


@pytest.mark.parametrize(
    "route",
    [
        "project_list",
        "project_detail",
        "article_list",
        "article_detail",
        "layer_detail",
        "layer_panel",
        "layer_outline",
        "layer_map",
    ],
)
def test_read_only_routes_refuse_post(route, scenario, client, manager):
    client.force_login(manager)

    response = client.post(reverse(f"annotate:{route}", kwargs=MATRIX[route][1](scenario)))

    assert response.status_code == 405


@pytest.mark.parametrize(
    ("route", "method"),
    [
        ("review", "get"),
        ("review_adopt", "post"),
        ("agreement", "get"),
        ("dataset_export", "get"),
        ("predictions_import", "get"),
        ("assignment", "get"),
    ],
)
def test_a_member_whose_role_does_not_allow_a_page_is_told_so_with_a_way_back(
    route, method, scenario, client, annotator
):
    client.force_login(annotator)

    response = getattr(client, method)(reverse(f"annotate:{route}", kwargs=MATRIX[route][1](scenario)))

    page = lxml.html.fromstring(response.content.decode())
    assert response.status_code == 403
    assert page.xpath("string(//main//p[1])") == "Your role in this project (annotator) does not allow this page."
    assert page.xpath("//main//a/@href") == [reverse("annotate:project_detail", args=[scenario.slug])]


def test_a_curator_is_told_a_manager_page_is_not_for_their_role(scenario, client, curator):
    client.force_login(curator)

    response = client.get(reverse("annotate:member_list", args=[scenario.slug]))

    page = lxml.html.fromstring(response.content.decode())
    assert (response.status_code, page.xpath("string(//main//p[1])")) == (
        403,
        "Your role in this project (curator) does not allow this page.",
    )


def test_annotator_cannot_open_an_article_not_assigned_to_them(project, annotator, client):
    unassigned = make_article(project)
    client.force_login(annotator)

    response = client.get(reverse("annotate:article_detail", args=[project.slug, unassigned.pk]))

    assert response.status_code == 404


def test_article_of_another_project_is_not_found_through_this_project(project, annotator, outsider, client):
    foreign = make_article(outsider.memberships.get().project)
    client.force_login(annotator)

    response = client.get(reverse("annotate:article_detail", args=[project.slug, foreign.pk]))

    assert response.status_code == 404


def test_project_list_shows_only_the_users_projects(project, annotator, outsider, client):
    client.force_login(annotator)

    response = client.get(reverse("annotate:project_list"))

    assert [project for project, role, active in response.context["rows"]] == [project]


def test_manager_cannot_edit_a_label_of_another_project_through_their_own(project, manager, outsider, client):
    foreign_label = outsider.memberships.get().project.labels.first()
    client.force_login(manager)

    response = client.get(reverse("annotate:scheme_entry_edit", args=[project.slug, "label", foreign_label.pk]))

    assert response.status_code == 404


def test_annotator_queue_lists_only_their_own_layers(project, article, annotator, client):
    make_article(project)  # not assigned to anyone
    client.force_login(annotator)

    response = client.get(reverse("annotate:project_detail", args=[project.slug]))

    assert [layer.pk for layer in response.context["queue"]] == [
        Layer.objects.get(article=article, annotator=annotator).pk
    ]


# The API (/api/v1/): every route and method, by the persona's session and by a token
# of theirs; anonymous requests get 401. Generated from the API's own list of routes
# (its OpenAPI schema) and its URL patterns, so a new route cannot be left out.
API_PERSONAS = [*PERSONAS, *(f"token:{persona}" for persona in PERSONAS if persona != "anonymous")]
API_MEMBERS = {"manager": 200, "curator": 200, "annotator": 200, "outsider": 404, "anonymous": 401}
API_PUBLIC = dict.fromkeys(PERSONAS, 200)
API_CURATORS = {**API_MEMBERS, "annotator": 403}
API_MANAGERS = {**API_CURATORS, "curator": 403}
API_MANAGERS_422 = {**API_MANAGERS, "manager": 422}
API_MATRIX = {
    ("get", "/api/v1/projects"): (lambda s: {}, {**API_MEMBERS, "outsider": 200}),
    ("get", "/api/v1/projects/{slug}"): (lambda s: {"slug": s.slug}, API_MEMBERS),
    ("get", "/api/v1/projects/{slug}/articles"): (lambda s: {"slug": s.slug}, API_MEMBERS),
    # An empty object is not an article (422, nothing written); only managers add articles.
    ("post", "/api/v1/projects/{slug}/articles"): (
        lambda s: {"slug": s.slug},
        {"manager": 422, "curator": 403, "annotator": 403, "outsider": 404, "anonymous": 401},
    ),
    ("get", "/api/v1/projects/{slug}/articles/{article_id}/layers/{owner}"): (
        lambda s: {"slug": s.slug, "article_id": s.article.pk, "owner": "ann_annotator"},
        API_MEMBERS,
    ),
    # An import needs files: a body without any is refused with the page's message (422).
    ("post", "/api/v1/projects/{slug}/imports"): (lambda s: {"slug": s.slug}, API_MANAGERS_422),
    # An export needs a format (422); it is curation work, as on the export page.
    ("post", "/api/v1/projects/{slug}/exports"): (
        lambda s: {"slug": s.slug},
        {**API_CURATORS, "manager": 422, "curator": 422},
    ),
    # A job as its page: an export's for curators and managers (an import's for managers).
    ("get", "/api/v1/projects/{slug}/jobs/{job_id}"): (lambda s: {"slug": s.slug, "job_id": s.export.pk}, API_CURATORS),
    ("get", "/api/v1/projects/{slug}/exports/{job_id}/file"): (
        lambda s: {"slug": s.slug, "job_id": s.export.pk},
        API_CURATORS,
    ),
    ("get", "/api/v1/projects/{slug}/agreement"): (lambda s: {"slug": s.slug}, API_CURATORS),
    ("get", "/api/v1/projects/{slug}/assignments"): (lambda s: {"slug": s.slug}, API_MANAGERS),
    # Naming no article and no annotator saves nothing (422).
    ("post", "/api/v1/projects/{slug}/assignments"): (lambda s: {"slug": s.slug}, API_MANAGERS_422),
    # The schema and its docs are public: they describe the API, not anyone's data.
    ("get", "/api/v1/openapi.json"): (lambda s: {}, API_PUBLIC),
    ("get", "/api/v1/docs"): (lambda s: {}, API_PUBLIC),
}


# What answers other than JSON: the docs page, and an export's file (the scenario's is CSV).
API_NOT_JSON = {("/api/v1/docs", 200): "text/html", ("/api/v1/projects/{slug}/exports/{job_id}/file", 200): "text/csv"}


def api_routes() -> set[tuple[str, str]]:
    from annotate.api import api

    routes = {(method, path) for path, methods in api.get_openapi_schema()["paths"].items() for method in methods}
    patterns = [p for p in get_resolver().url_patterns if isinstance(p, URLResolver) and p.namespace == "api"]
    extra = {("get", "/api/v1/" + str(p.pattern)) for r in patterns for p in r.url_patterns if "openapi" in p.name}
    return routes | extra


def test_api_permission_matrix_covers_every_api_route():
    assert api_routes() == set(API_MATRIX)


@pytest.mark.parametrize("persona", API_PERSONAS)
@pytest.mark.parametrize("route", sorted(API_MATRIX))
def test_api_permission_matrix(route, persona, scenario, client, request):
    from annotate.api import tokens

    method, path = route
    kwargs, expected = API_MATRIX[route]
    headers = {}
    role = persona.removeprefix("token:")
    if persona.startswith("token:"):
        headers["HTTP_AUTHORIZATION"] = f"Bearer {tokens.create_token(user=request.getfixturevalue(role), name='t')[1]}"
    elif persona != "anonymous":
        client.force_login(request.getfixturevalue(persona))

    url = path.format(**kwargs(scenario))
    body = {"data": "{}", "content_type": "application/json"} if method == "post" else {}
    response = getattr(client, method)(url, **body, **headers)

    assert response.status_code == expected[role]
    assert response["Content-Type"].startswith(API_NOT_JSON.get((route[1], response.status_code), "application/json"))
