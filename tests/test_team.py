"""The team page's figures, each held to a value worked out by hand on a small project
(docs/team.md says how each is counted), read the way a browser reads them: the page, and
the CSV its links lead to, parsed by the standard library's csv reader."""

import csv
import io
from datetime import timedelta

import lxml.html
import pytest
from django.urls import reverse
from django.utils import timezone

from annotate import effort, lifecycle, projects, review, team, units
from annotate.models import Change, Effort, Job, JobKind, Layer, Role
from annotate.project_agreement import project_agreement
from tests.factories import ARTICLE_TEXT, make_article, make_user, span_of
from tests.test_import_tasks import run_worker

CLAIM = "Cities should ban cars from their centres"
TRAFFIC = "Traffic kills thousands every year"
TRIPS = "most trips in town are short"


def mark(layer, label, quote, user):
    return units.create_unit(layer=layer, label=label, spans=[span_of(layer.article.text, quote)], user=user).unit


@pytest.fixture
def team_project(project, scheme, manager, curator, annotator, annotator2):
    """Three articles, two annotators a layer each (annotators_per_article = 2):

    * article 1: gold has a Claim and two Premises; ben marks exactly gold's units; ann marks
      the Claim, marks the first Premise as a Claim and misses the second. Both finish;
      ann today, ben three days ago. Gold is finished (curated).
    * article 2: assigned to ann, not started. Article 3: unassigned.
    """
    first, second, _ = (make_article(project, text=f"{ARTICLE_TEXT} ({n})", title=f"Article {n}") for n in (1, 2, 3))
    projects.assign(article=first, annotators=[annotator, annotator2], by=manager)
    projects.assign(article=second, annotators=[annotator], by=manager)
    ann = Layer.objects.get(article=first, annotator=annotator)
    ben = Layer.objects.get(article=first, annotator=annotator2)
    claim, premise = scheme["Claim"], scheme["Premise"]
    mark(ann, claim, CLAIM, annotator)
    mark(ann, claim, TRAFFIC, annotator)
    for quote, label in ((CLAIM, claim), (TRAFFIC, premise), (TRIPS, premise)):
        mark(ben, label, quote, annotator2)
    gold = review.start_gold(article=first, user=curator)
    for quote, label in ((CLAIM, claim), (TRAFFIC, premise), (TRIPS, premise)):
        mark(gold, label, quote, curator)
    review.finish_curation(article=first, user=curator)
    for layer, person in ((ann, annotator), (ben, annotator2)):
        layer.refresh_from_db()
        lifecycle.set_status(layer=layer, status=Layer.Status.FINISHED, user=person)
    now = timezone.now()
    Layer.objects.filter(pk=ann.pk).update(finished_at=now)
    Layer.objects.filter(pk=ben.pk).update(finished_at=now - timedelta(days=3))
    return {"first": first, "second": second, "ann": ann, "ben": ben, "now": now}


def retime(user, seconds: list[float], start):
    """Give ``user``'s changes, in the order they were made, the times ``start + seconds``."""
    changes = list(Change.objects.filter(user=user, layer__isnull=False).order_by("id"))
    assert len(changes) == len(seconds)
    for change, offset in zip(changes, seconds, strict=True):
        Change.objects.filter(pk=change.pk).update(created_at=start + timedelta(seconds=offset))


def team_page(client):
    return client.get(reverse("annotate:team", args=["opeds"]))


def csv_from(client, page, table: str) -> list[dict]:
    """The CSV the page's own link for ``table`` leads to, as rows of strings."""
    html = lxml.html.fromstring(page.content)
    (href,) = [a.get("href") for a in html.iter("a") if a.get("href", "").endswith(f"/{table}.csv")]
    response = client.get(href)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8"))))


def test_every_figure_equals_the_one_worked_out_by_hand(team_project, client_for, curator, annotator, annotator2):
    start = team_project["now"] - timedelta(hours=2)
    # ann: 2 units, then finishing = 3 changes on article 1 at 0, 60 and 100 s: active
    # 60 + 40 = 100 s. ben: 3 units and finishing at 0, 200, 500 (a break: 300 s is not
    # under the 300 s limit) and 530: active 200 + 30 = 230 s.
    retime(annotator, [0, 60, 100], start)
    retime(annotator2, [0, 200, 500, 530], start)
    client = client_for(curator)
    page = team_page(client)
    assert page.status_code == 200

    rows = csv_from(client, page, "annotators")
    assert rows == [
        {
            "annotator": "ann_annotator",
            "assigned": "2",
            "started": "1",
            "finished": "1",
            "changes": "3",
            "active_seconds": "100.0",
            "seconds_per_finished_article": "100.0",
            "units": "2",
            "units_per_hour": "72.0",  # 2 units in 100 s
            # F1 overlap with ben: 1 of ann's 2 units matches one of ben's 3: 2·1/(2+3).
            "span_f1_with_others": "0.4",
            "span_f1_against_gold": "0.4",
        },
        {
            "annotator": "ben_annotator",
            "assigned": "1",
            "started": "1",
            "finished": "1",
            "changes": "4",
            "active_seconds": "230.0",
            "seconds_per_finished_article": "230.0",
            "units": "3",
            "units_per_hour": str(3 / (230 / 3600)),
            "span_f1_with_others": "0.4",
            "span_f1_against_gold": "1.0",
        },
    ]
    confusion = csv_from(client, page, "confusion")
    assert confusion == [
        {"annotator": "ann_annotator", "gold_label": "Claim", "label": "Claim", "units": "1"},
        {"annotator": "ann_annotator", "gold_label": "Premise", "label": "", "units": "1"},
        {"annotator": "ann_annotator", "gold_label": "Premise", "label": "Claim", "units": "1"},
        {"annotator": "ben_annotator", "gold_label": "Claim", "label": "Claim", "units": "1"},
        {"annotator": "ben_annotator", "gold_label": "Premise", "label": "Premise", "units": "2"},
    ]
    today = timezone.localdate()
    ben_day = timezone.localdate(team_project["now"] - timedelta(days=3))
    monday = lambda day: (day - timedelta(days=day.weekday())).isoformat()  # noqa: E731
    assert csv_from(client, page, "weeks") == [
        {"annotator": "ann_annotator", "week": monday(today), "articles": "1",
         "span_f1_with_others": "0.4", "span_f1_against_gold": "0.4"},
        {"annotator": "ben_annotator", "week": monday(ben_day), "articles": "1",
         "span_f1_with_others": "0.4", "span_f1_against_gold": "1.0"},
    ]  # fmt: skip
    assert csv_from(client, page, "throughput") == sorted(
        [{"day": ben_day.isoformat(), "layers_finished": "1"}, {"day": today.isoformat(), "layers_finished": "1"}],
        key=lambda row: row["day"],
    )
    # 3 articles × 2 annotators needed, 2 finished: 4 remain; 2 finished in 14 days is
    # 1/7 a day, so 28 days more.
    assert page.context["pace"] == {
        "articles": 3,
        "needed": 6,
        "finished": 2,
        "remaining": 4,
        "pace": 2 / 14,
        "pace_days": 14,
        "forecast": (today + timedelta(days=28)).isoformat(),
    }


def test_the_agreement_figures_are_the_agreement_pages(team_project, client_for, curator):
    client = client_for(curator)
    rows = {row["annotator"]: row for row in team_page(client).context["rows"]}
    agreement = client.get(reverse("annotate:agreement", args=["opeds"]) + "?against_gold=on").context["report"]
    pairs = {pair.annotators: pair.span_f1_overlap for pair in agreement.pairs}
    assert pairs == {("ann_annotator", "ben_annotator"): 0.4, ("ann_annotator", "gold"): 0.4,
                     ("ben_annotator", "gold"): 1.0}  # fmt: skip
    assert {name: (row["span_f1_with_others"], row["span_f1_against_gold"]) for name, row in rows.items()} == {
        "ann_annotator": (pairs[("ann_annotator", "ben_annotator")], pairs[("ann_annotator", "gold")]),
        "ben_annotator": (pairs[("ann_annotator", "ben_annotator")], pairs[("ben_annotator", "gold")]),
    }
    direct = project_agreement(team_project["first"].project, against_gold=True)
    assert {pair.annotators: pair.span_f1_overlap for pair in direct.pairs} == pairs


def test_active_time_counts_gaps_under_the_idle_limit_across_articles_and_days(team_project, annotator, settings):
    """ann's three changes on article 1, then a unit on article 2 (started) 250 s later:
    the gap counts on article 2. Changes on two days: the day of each change is its own."""
    second = Layer.objects.get(article=team_project["second"], annotator=annotator)
    mark(second, team_project["first"].project.labels.get(name="Claim"), CLAIM, annotator)
    midnight = timezone.make_aware(timezone.datetime.combine(timezone.localdate(), timezone.datetime.min.time()))
    # 23:58:20, 23:59:20, 23:59:50, then 00:04:00 (250 s later): 60 + 30 on day one,
    # 250 on day two, on article 2's layer.
    retime(annotator, [-100, -40, -10, 240], midnight)
    effort.refresh(team_project["first"].project, from_day=None)
    found = sorted(
        (row.layer_id, row.day, row.active_seconds, row.changes) for row in Effort.objects.filter(user=annotator)
    )
    day_one, day_two = timezone.localdate(midnight - timedelta(seconds=1)), timezone.localdate(midnight)
    assert found == sorted([(team_project["ann"].pk, day_one, 90.0, 3), (second.pk, day_two, 240.0 + 10.0, 1)])


def test_a_refresh_recomputes_only_the_days_from_before_the_last(team_project, annotator, settings):
    project = team_project["first"].project
    long_ago = timezone.now() - timedelta(days=10)
    retime(annotator, [0, 60, 100], long_ago)
    effort.refresh(project, from_day=None)
    kept = Effort.objects.get(user=annotator)
    # A row of a day before the window is left as it is, even if the log says otherwise.
    Effort.objects.filter(pk=kept.pk).update(active_seconds=1.0)
    effort.refresh(project, from_day=effort.first_day_to_recompute(timezone.now()))
    assert Effort.objects.get(user=annotator).active_seconds == 1.0
    effort.refresh(project, from_day=effort.first_day_to_recompute(long_ago))
    assert Effort.objects.get(user=annotator).active_seconds == 100.0


def test_only_the_weeks_whose_articles_changed_are_computed_again(team_project, curator, annotator2):
    project = team_project["first"].project
    first = team.figures(project)
    again = team.figures(project, previous=first)
    assert again["weeks"] == first["weeks"]
    # A week kept from before is reused as it is: a marker put into it survives.
    first["weeks"]["ann_annotator"][next(iter(first["weeks"]["ann_annotator"]))]["marker"] = 1
    reused = team.figures(project, previous=first)
    assert [week.get("marker") for week in reused["weeks"]["ann_annotator"].values()] == [1]
    # Reopening ben's layer takes article 1 out of ben's week and changes its sources.
    ben = Layer.objects.get(pk=team_project["ben"].pk)
    lifecycle.reopen_layer(layer=ben, user=annotator2)
    changed = team.figures(project, previous=first)
    assert list(changed["weeks"]) == ["ann_annotator"]
    assert [week.get("marker") for week in changed["weeks"]["ann_annotator"].values()] == [None]
    assert [week["span_f1_with_others"] for week in changed["weeks"]["ann_annotator"].values()] == [None]


def test_an_annotator_sees_only_their_own_figures(team_project, client_for, annotator):
    client = client_for(annotator)
    page = team_page(client)
    assert page.status_code == 200
    assert [row["annotator"] for row in page.context["rows"]] == ["ann_annotator"]
    assert page.context["pace"] is None
    assert b"ben_annotator" not in page.content
    assert [row["annotator"] for row in csv_from(client, page, "annotators")] == ["ann_annotator"]
    assert {row["annotator"] for row in csv_from(client, page, "confusion")} == {"ann_annotator"}
    # Asking for another annotator's weeks shows one's own.
    assert team_page_for(client, "ben_annotator").context["chosen"] == "ann_annotator"
    assert client.get(reverse("annotate:team_csv", args=["opeds", "throughput"])).status_code == 403


def team_page_for(client, name):
    return client.get(reverse("annotate:team", args=["opeds"]), {"annotator": name})


def test_a_curator_chooses_whose_weeks_and_confusion_to_see(team_project, client_for, curator):
    client = client_for(curator)
    page = team_page_for(client, "ben_annotator")
    assert page.context["chosen"] == "ben_annotator"
    assert [(row["gold"], [cell["n"] for cell in row["cells"]]) for row in page.context["confusion"]["rows"]] == [
        ("MajorClaim", [0, 0, 0, 0]),
        ("Claim", [0, 1, 0, 0]),
        ("Premise", [0, 0, 2, 0]),
        (None, [0, 0, 0, None]),
    ]
    assert team_page_for(client, "nobody").context["chosen"] == "ann_annotator"


def test_an_unknown_table_is_404(project, client_for, curator):
    client = client_for(curator)
    assert client.get(reverse("annotate:team_csv", args=["opeds", "passwords"])).status_code == 404


def test_without_any_work_the_forecast_says_so(project, client_for, curator, article):
    page = team_page(client_for(curator))
    assert page.context["pace"] == {
        "articles": 1, "needed": 2, "finished": 0, "remaining": 2, "pace": 0.0, "pace_days": 14, "forecast": None,
    }  # fmt: skip
    assert "no layer finished in 14 days" in page.content.decode()


def test_a_member_never_assigned_still_has_a_row(project, client_for, curator):
    late = make_user("lee_late")
    projects.set_member(project=project, user=late, role=Role.ANNOTATOR, by=None)
    rows = team_page(client_for(curator)).context["rows"]
    assert [(row["annotator"], row["assigned"], row["active_seconds"], row["units_per_hour"]) for row in rows] == [
        ("lee_late", 0, 0.0, None)
    ]


def test_the_team_jobs_page_says_what_it_computed_and_leads_to_the_team_page(team_project, client_for, manager):
    client = client_for(manager)
    team_page(client)
    job = team.kept_figures(team_project["first"].project, team.team_state(team_project["first"].project))
    (pk,) = Job.objects.filter(kind=JobKind.TEAM).values_list("pk", flat=True)
    page = client.get(reverse("annotate:job_detail", args=["opeds", pk]))
    html = lxml.html.fromstring(page.content)
    assert job.current
    assert html.xpath("string(//h1)") == "Team figures " + str(pk)
    assert html.xpath("string(//section[@id='job-progress']/h2)") == "Computed"
    assert [a.get("href") for a in html.xpath("//section[@id='job-progress']//a")] == ["/p/opeds/team/"]


def state_line(response) -> str:
    html = lxml.html.fromstring(response.content)
    return " ".join(html.xpath("string(//p[@role='status'])").split())


@pytest.mark.django_db(transaction=True)
def test_with_a_worker_the_page_queues_one_job_shows_kept_figures_meanwhile_and_polls(
    team_project, client_for, curator, annotator, settings
):
    settings.ANNOTATE_TEAM_INLINE = False
    client = client_for(curator)
    first, second = team_page(client), team_page(client)
    assert (state_line(first), state_line(second)) == ("Computing the team figures…", "Computing the team figures…")
    assert 'hx-trigger="every 2s"' in first.content.decode()
    assert list(Job.objects.filter(kind=JobKind.TEAM).values_list("status", flat=True)) == ["queued"]
    run_worker()
    done = client.get(reverse("annotate:team", args=["opeds"]), headers={"HX-Request": "true"})
    assert state_line(done) == "Computed just now."
    assert 'hx-trigger="every 2s"' not in done.content.decode()
    assert [row["finished"] for row in done.context["rows"]] == [1, 1]
    # ann reopens her layer: the page shows the kept figures, says they are being
    # updated and polls, and the worker brings them up to date.
    lifecycle.reopen_layer(layer=Layer.objects.get(pk=team_project["ann"].pk), user=annotator)
    stale = team_page(client)
    assert state_line(stale) == "Computed just now; updating…"
    assert [row["finished"] for row in stale.context["rows"]] == [1, 1]
    assert 'hx-trigger="every 2s"' in stale.content.decode()
    run_worker()
    assert [row["finished"] for row in team_page(client).context["rows"]] == [0, 1]
    assert list(Job.objects.filter(kind=JobKind.TEAM).values_list("status", flat=True)) == ["done"]
