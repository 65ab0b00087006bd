"""scripts/bench_lab.py: its builder makes what the app would have written, and its runner
opens every page of its list, at a tiny size (XS: 5 articles × 2 annotators) built into
the test database by the same code as lab_s, lab_m and lab_l."""

import importlib.util
import sys
from collections import Counter
from pathlib import Path

import pytest
from django.contrib import admin
from django.db.models import Count

from annotate.models import ArgumentUnit, Article, Change, Job, Layer, Project, Relation, Span

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "bench_lab.py"


@pytest.fixture(scope="module")
def bench_lab():
    spec = importlib.util.spec_from_file_location("bench_lab", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_lab"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def lab(db, bench_lab):
    return bench_lab.build_lab(bench_lab.SIZES["XS"], say=lambda line: None)


def test_the_builder_writes_exactly_what_it_counts(bench_lab, lab):
    project = Project.objects.get(slug="lab")
    # The numbers of the seeded XS build: 5 articles, 2 layers each, 60/20/20 by status,
    # one gold layer (the first article), 36 to 60 units per started layer.
    assert lab.articles == Article.objects.filter(project=project).count() == 5
    statuses = Counter(Layer.objects.filter(annotator__isnull=False).values_list("status", flat=True))
    assert statuses == lab.layers == {"finished": 6, "in_progress": 2, "not_started": 2}
    assert lab.gold == Layer.objects.filter(annotator__isnull=True).count() == 1
    assert (lab.units, lab.spans, lab.relations, lab.changes) == (446, 468, 200, 682)
    assert ArgumentUnit.objects.count() == lab.units
    assert Span.objects.count() == lab.spans
    assert Relation.objects.count() == lab.relations
    assert Change.objects.filter(project=project).count() == lab.changes
    assert dict(Counter(Change.objects.values_list("action", flat=True))) == lab.actions
    assert lab.actions["unit.create"] == lab.units + lab.actions.get("unit.delete", 0)
    assert lab.actions["relation.create"] == lab.relations
    assert Job.objects.filter(project=project, kind="import", status="done").count() == lab.jobs == 1
    assert bench_lab.check_lab(project.pk) == []


def test_the_rows_are_shaped_as_the_app_writes_them(lab):
    texts = dict(Article.objects.values_list("pk", "text"))
    for layer in Layer.objects.annotate(records=Count("changes")):
        assert layer.revision == layer.records
        assert (layer.finished_at is not None) == (layer.status == Layer.Status.FINISHED)
        if layer.status == Layer.Status.NOT_STARTED:
            assert layer.records == 0
    # Every live unit is its creation record's snapshot (with a later update's, if any),
    # and its spans lie inside the text.
    latest = {}
    for change in Change.objects.filter(action__in=["unit.create", "unit.update"]).order_by("id"):
        latest[change.target] = change.after
    for unit in ArgumentUnit.objects.select_related("layer").prefetch_related("spans"):
        spans = [[span.start, span.end] for span in unit.spans.all()]
        snapshot = latest[f"unit:{unit.pk}"]
        assert snapshot["label"] == unit.label_id
        assert snapshot["spans"] == spans
        assert snapshot["attributes"] == unit.attributes
        assert snapshot["created_at"] == unit.created_at.isoformat()
        text = texts[unit.layer.article_id]
        assert all(0 <= start < end <= len(text) and text[start:end].strip() for start, end in spans)
    for relation in Relation.objects.select_related("source", "target"):
        assert relation.source.layer_id == relation.target.layer_id == relation.layer_id
    deleted = Change.objects.filter(action="unit.delete").values_list("target", flat=True)
    assert not ArgumentUnit.objects.filter(pk__in=[int(target.split(":")[1]) for target in deleted]).exists()


def test_every_page_answers_its_role(bench_lab, lab):
    rows = bench_lab.measure_pages(1, warmups=0, say=lambda line: None)
    assert [(row.name, row.role) for row in rows] == [(name, role) for name, role, _ in bench_lab.PAGES]
    assert {(row.name, row.status) for row in rows if row.status != "200"} == set()
    assert all(row.times and row.size for row in rows)


def test_the_page_list_has_every_admin_changelist(bench_lab):
    listed = {path for _, role, path in bench_lab.PAGES if role == "admin"}
    for model in admin.site._registry:
        assert f"/admin/{model._meta.app_label}/{model._meta.model_name}/" in listed, model
