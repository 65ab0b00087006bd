"""Records out of the database and back: streamed in fixed queries, and lossless."""

import pytest

from annotate import datasets, projects, relations, units
from annotate.contrast import difference, readable
from annotate.formats.records import ArticleRecord, LayerRecord, RelationRecord, SpanRecord, UnitRecord
from annotate.models import COMMAND_KEYS, Article, Label, Layer, Role
from annotate.schemes import DISTINCT
from tests.factories import make_article, make_project, make_user

EMOJI = "Smile 🙂 and 👍🏽 up: n\u0304ew cities should ban cars.\n\nTraffic kills; calm streets sell more."


@pytest.fixture
def annotated(project, article, annotator, annotator2, manager):
    """The article annotated by both annotators, one layer finished, plus gold."""
    scheme = {label.name: label for label in project.labels.all()}
    supports = project.relation_types.get(name="supports")
    for user in (annotator, annotator2):
        layer = Layer.objects.get(article=article, annotator=user)
        claim = units.create_unit(
            layer=layer, label=scheme["Claim"], spans=[(0, 6)], attributes={"stance": "For"}, user=user
        ).unit
        premise = units.create_unit(layer=layer, label=scheme["Premise"], spans=[(7, 13), (18, 22)], user=user).unit
        relations.create_relation(layer=layer, type=supports, source=premise, target=claim, user=user)
    Layer.objects.filter(annotator=annotator).update(status=Layer.Status.FINISHED)
    gold = Layer.objects.create(article=article, annotator=None)
    units.create_unit(layer=gold, label=scheme["MajorClaim"], spans=[(0, 22)], user=manager)
    return project


def test_records_hold_every_layer_unit_span_and_relation(annotated, article):
    (record,) = datasets.article_records(annotated)

    assert record.id == article.text_hash[:12]
    assert [(layer.owner, layer.status) for layer in record.layers] == [
        ("gold", "not_started"),
        ("ann_annotator", "finished"),
        ("ben_annotator", "not_started"),
    ]
    assert record.layers[1] == LayerRecord(
        owner="ann_annotator",
        status="finished",
        units=[
            UnitRecord("T1", "Claim", [SpanRecord(0, 6)], {"stance": "For"}),
            UnitRecord("T2", "Premise", [SpanRecord(7, 13), SpanRecord(18, 22)]),
        ],
        relations=[RelationRecord("R1", "supports", "T2", "T1")],
    )


@pytest.mark.parametrize(
    ("choice", "owners"),
    [
        (datasets.LayerChoice("gold"), ["gold"]),
        (datasets.LayerChoice("annotators"), ["ann_annotator", "ben_annotator"]),
        (datasets.LayerChoice("ben_annotator"), ["ben_annotator"]),
        (datasets.LayerChoice("all", finished_only=True), ["ann_annotator"]),
    ],
)
def test_layer_choice_picks_the_layers(annotated, choice, owners):
    (record,) = datasets.article_records(annotated, choice=choice)

    assert [layer.owner for layer in record.layers] == owners


@pytest.mark.parametrize("n", [1, 20])
def test_export_runs_a_fixed_number_of_queries_per_batch(project, annotator, manager, django_assert_num_queries, n):
    label = project.labels.get(name="Claim")
    for _ in range(n):
        article = make_article(project)
        projects.assign(article=article, annotators=[annotator], by=manager)
        layer = Layer.objects.get(article=article)
        units.create_unit(layer=layer, label=label, spans=[(0, 6)], attributes={"stance": "For"}, user=annotator)

    # Labels, relation types, then per batch of 10: articles, layers, units with their
    # spans, relations; and the empty batch that ends the stream.
    batches = -(-n // 10)
    with django_assert_num_queries(2 + 4 * batches + 1):
        records = list(datasets.article_records(project, batch_size=10))

    assert len(records) == n


def test_import_into_a_new_project_reproduces_the_records_exactly(annotated, annotator, annotator2, manager):
    exported = list(datasets.article_records(annotated))
    copy = make_project(slug="copy")
    for user in (annotator, annotator2):
        projects.set_member(project=copy, user=user, role=Role.ANNOTATOR, by=None)

    report = datasets.import_records(project=copy, records=exported, user=manager)

    assert (report.problems, report.written) == ([], True)
    assert list(datasets.article_records(copy)) == exported


def test_offsets_are_carried_over_exactly_when_the_text_is_normalised(project, annotator, manager):
    raw = "Cafe\u0301s rule.\r\nBan cars 🙂 now."
    start = raw.index("Ban")
    record = ArticleRecord(
        title="Raw",
        text=raw,
        layers=[LayerRecord("ann_annotator", units=[UnitRecord("T1", "Claim", [SpanRecord(start, start + 8)])])],
    )

    datasets.import_records(project=project, records=[record], user=manager)

    (stored,) = datasets.article_records(project)
    span = stored.layers[0].units[0].spans[0]
    assert stored.text[span.start : span.end] == "Ban cars"


def test_a_dry_run_reports_what_would_be_created_and_writes_nothing(project, annotator, manager):
    records = [ArticleRecord(title="One", text=EMOJI), ArticleRecord(title="Two", text="Another op-ed.")]

    report = datasets.import_records(project=project, records=records, user=manager, dry_run=True)

    assert (report.counts, report.written, Article.objects.count()) == (
        {"articles": 2, "already there": 0, "layers": 0, "units": 0, "relations": 0, "existing layers skipped": 0},
        False,
        0,
    )


def test_bad_records_are_all_reported_and_nothing_is_written(project, annotator, manager):
    text = "Cities should ban cars."
    bad = ArticleRecord(
        title="Bad",
        text=text,
        layers=[
            LayerRecord(
                "nobody",
                units=[
                    UnitRecord("T1", "Claim", [SpanRecord(0, 6)], {"stance": "Maybe"}),
                    UnitRecord("T2", "Fact", [SpanRecord(7, 13)]),
                    UnitRecord("T3", "Premise", [SpanRecord(7, 99)]),
                ],
                relations=[RelationRecord("R1", "supports", "T3", "T9"), RelationRecord("R2", "refutes", "T1", "T3")],
            )
        ],
    )
    good = ArticleRecord(title="Good", text="A fine op-ed.")

    report = datasets.import_records(project=project, records=[good, bad], user=manager)

    where = "Article 2 (“Bad”), layer nobody: "
    assert report.problems == [
        where + "“nobody” is not an annotator of this project (add them on the Members page first).",
        where + "unit T1: Claim stance must be one of For, Against, not “Maybe”.",
        where + "unit T2: the label “Fact” is not in the project's scheme.",
        where + "unit T3: offsets 7–99 lie past the end of the text (23 characters).",
        where + "relation R1 links a unit that is not in this layer.",
        where + "relation R2: the type “refutes” is not in the project's scheme.",
    ]
    assert (report.written, Article.objects.count()) == (False, 0)


def test_a_relation_between_refused_units_is_reported_once_as_depending_on_them(project, manager):
    units = [
        UnitRecord("T1", "Premise", [SpanRecord(7, 99)]),
        UnitRecord("T2", "Fact", [SpanRecord(0, 6)]),
        UnitRecord("T3", "Claim", [SpanRecord(0, 6)], {"stance": "For"}),
    ]
    links = [RelationRecord("R1", "supports", "T1", "T2"), RelationRecord("R2", "attacks", "T3", "T2")]
    record = ArticleRecord(
        title="Bad", text="Cities should ban cars.", layers=[LayerRecord("gold", units=units, relations=links)]
    )

    verdicts = [
        datasets.import_records(project=project, records=[record], user=manager, dry_run=dry_run).problems
        for dry_run in (True, False)
    ]

    where = "Article 1 (“Bad”), layer gold: "
    assert verdicts[0] == verdicts[1]
    assert verdicts[0] == [
        where + "unit T1: offsets 7–99 lie past the end of the text (23 characters).",
        where + "unit T2: the label “Fact” is not in the project's scheme.",
        where + "relation R1 depends on units T1 and T2, which are refused above.",
        where + "relation R2 depends on unit T2, which is refused above.",
    ]
    assert Article.objects.count() == 0


def test_a_layer_linking_two_units_both_ways_is_refused_as_in_the_workspace(project, annotator, manager):
    units = [
        UnitRecord("T1", "Claim", [SpanRecord(0, 6)], {"stance": "For"}),
        UnitRecord("T2", "Premise", [SpanRecord(7, 13)]),
    ]
    links = [RelationRecord("R1", "supports", "T2", "T1"), RelationRecord("R2", "attacks", "T1", "T2")]
    record = ArticleRecord(
        title="Both ways", text="Cities should ban cars.", layers=[LayerRecord("gold", units=units, relations=links)]
    )

    verdicts = [
        datasets.import_records(project=project, records=[record], user=manager, dry_run=dry_run).problems
        for dry_run in (True, False)
    ]

    problem = "relation R2 links the units relation R1 links (either way round); two units take one relation."
    assert verdicts == [["Article 1 (“Both ways”), layer gold: " + problem]] * 2
    assert Article.objects.count() == 0


def test_an_article_already_in_the_project_is_not_stored_twice(project, article, manager):
    record = ArticleRecord(title="Same text, new title", text=article.text)

    report = datasets.import_records(project=project, records=[record], user=manager)

    assert (report.counts["articles"], report.counts["already there"], Article.objects.count()) == (0, 1, 1)


def test_layers_for_an_article_already_there_fill_only_empty_layers(project, article, annotator, manager):
    unit = UnitRecord("T1", "Claim", [SpanRecord(0, 6)], {"stance": "Against"})
    record = ArticleRecord(title="x", text=article.text, layers=[LayerRecord("ann_annotator", units=[unit])])

    first = datasets.import_records(project=project, records=[record], user=manager)
    second = datasets.import_records(project=project, records=[record], user=manager)

    assert (first.written, second.written) == (True, False)
    assert second.problems == [
        "Article 1 (“x”), layer ann_annotator: the project already has this layer of this article, with units. "
        "To leave such layers as they are and import the rest, skip existing layers (on the import page, "
        "“Layers the project already has, with units: are skipped”; on the command line, --existing skip)."
    ]
    assert Layer.objects.get(article=article, annotator=annotator).units.count() == 1


def test_non_members_cannot_own_imported_layers(project, manager):
    make_user("stranger")
    record = ArticleRecord(title="x", text="Some text.", layers=[LayerRecord("stranger")])

    report = datasets.import_records(project=project, records=[record], user=manager)

    assert report.problems == [
        "Article 1 (“x”), layer stranger: “stranger” is not an annotator of this project "
        "(add them on the Members page first)."
    ]


def test_existing_layers_are_skipped_when_asked_and_the_rest_is_imported(project, article, annotator, manager):
    claim = UnitRecord("T1", "Claim", [SpanRecord(0, 6)], {"stance": "Against"})
    premise = UnitRecord("T1", "Premise", [SpanRecord(7, 13)])
    first = ArticleRecord(title="x", text=article.text, layers=[LayerRecord("ann_annotator", units=[claim])])
    datasets.import_records(project=project, records=[first], user=manager)
    again = ArticleRecord(
        title="x",
        text=article.text,
        layers=[LayerRecord("ann_annotator", units=[premise]), LayerRecord("ben_annotator", units=[premise])],
    )
    other = ArticleRecord(title="y", text="Another op-ed.", layers=[LayerRecord("ann_annotator", units=[claim])])

    report = datasets.import_records(project=project, records=[again, other], user=manager, existing="skip")

    assert (report.problems, report.written) == ([], True)
    assert report.skipped_layers == ["Article 1 (“x”), layer ann_annotator"]
    assert report.summary == "1 new article, 1 already there, 2 layers, 2 units, 0 relations, 1 existing layer skipped"
    assert sorted(Layer.objects.values_list("article__title", "annotator__username", "units__label__name")) == [
        (article.title, "ann_annotator", "Claim"),
        (article.title, "ben_annotator", "Premise"),
        ("y", "ann_annotator", "Claim"),
    ]


def test_existing_layers_fail_by_default_and_nothing_is_written(project, article, manager):
    claim = UnitRecord("T1", "Claim", [SpanRecord(0, 6)], {"stance": "Against"})
    first = ArticleRecord(title="x", text=article.text, layers=[LayerRecord("ann_annotator", units=[claim])])
    datasets.import_records(project=project, records=[first], user=manager)
    other = ArticleRecord(title="y", text="Another op-ed.")

    report = datasets.import_records(project=project, records=[first, other], user=manager)

    assert (report.written, report.skipped_layers, Article.objects.count()) == (False, [], 1)
    assert report.problems == [
        "Article 1 (“x”), layer ann_annotator: the project already has this layer of this article, with units. "
        "To leave such layers as they are and import the rest, skip existing layers (on the import page, "
        "“Layers the project already has, with units: are skipped”; on the command line, --existing skip)."
    ]


def test_an_unknown_choice_for_existing_layers_is_a_programming_error(project, manager):
    with pytest.raises(ValueError, match="^existing must be one of fail, skip, not 'keep'$"):
        datasets.import_records(project=project, records=[], user=manager, existing="keep")


def test_an_imported_layer_without_a_status_is_in_progress_when_it_holds_units(project, annotator, annotator2, manager):
    claim = UnitRecord("T1", "Claim", [SpanRecord(0, 6)], {"stance": "For"})
    layers = [
        LayerRecord("ann_annotator", units=[claim]),  # brat: no status
        LayerRecord("ben_annotator"),
        LayerRecord("gold", status="not_started", units=[claim]),  # native JSONL: the status it gives
    ]
    record = ArticleRecord(title="x", text="Cities should ban cars.", layers=layers)

    report = datasets.import_records(project=project, records=[record], user=manager)

    assert (report.problems, report.written) == ([], True)
    assert sorted(Layer.objects.values_list("annotator__username", "status"), key=str) == [
        ("ann_annotator", "in_progress"),
        ("ben_annotator", "not_started"),
        (None, "not_started"),
    ]


@pytest.mark.parametrize(
    ("count", "noun", "words"),
    [(0, "layer", "0 layers"), (1, "layer", "1 layer"), (2, "layer", "2 layers"), (1, "new article", "1 new article")],
)
def test_counts_read_in_the_singular_for_one(count, noun, words):
    assert datasets.count_words(count, noun) == words


def test_values_the_database_cannot_store_are_problems_for_each_article_before_anything_else(project, manager):
    title_limit = Article._meta.get_field("title").max_length
    records = [
        ArticleRecord(title="T" * title_limit, text="Fits exactly."),
        ArticleRecord(title="T" * (title_limit + 1), text="One too many."),
        ArticleRecord(title="Nul", text="Cities\x00ban cars.", source="op-eds.jsonl", line=3),
        ArticleRecord(
            title="Long label",
            text="Cities ban cars.",
            layers=[LayerRecord("gold", units=[UnitRecord("T1", "L" * 61, [SpanRecord(0, 6)])])],
        ),
    ]

    report = datasets.import_records(project=project, records=records, user=manager)

    assert report.problems == [
        f"Article 2: the title has {title_limit + 1} characters, more than the {title_limit} it may have",
        "op-eds.jsonl line 3: the text holds a NUL character (\\u0000), which cannot be stored",
        "Article 4: layer gold, unit T1: the label has 61 characters, more than the 60 it may have",
    ]
    assert (report.written, Article.objects.count()) == (False, 0)


def kinds_record(names: list[str], relation_types: list[str] = ()) -> ArticleRecord:
    """An article whose gold layer has a unit of each label in `names`, linked in a chain
    by the relation types in `relation_types`."""
    units = [UnitRecord(f"T{n}", name, [SpanRecord(n, n + 1)]) for n, name in enumerate(names)]
    links = [RelationRecord(f"R{n}", name, f"T{n}", f"T{n + 1}") for n, name in enumerate(relation_types)]
    return ArticleRecord(
        title="Many kinds", text="x" * len(names), layers=[LayerRecord("gold", units=units, relations=links)]
    )


def test_new_labels_and_relation_types_take_keys_no_label_relation_type_or_command_has(project, manager):
    names = [f"Kind{number}" for number in range(12)]
    record = kinds_record(names, ["rebuts", "restates"])

    report = datasets.import_records(project=project, records=[record], user=manager, unknown="add")

    labels = dict(project.labels.values_list("name", "key"))
    relation_types = dict(project.relation_types.values_list("name", "key"))
    assert (report.written, report.new_labels, report.new_relation_types) == (True, names, ["rebuts", "restates"])
    assert labels == {"MajorClaim": "m", "Claim": "c", "Premise": "p"} | dict(zip(names, "bdfghijknoqr", strict=True))
    assert relation_types == {"supports": "s", "attacks": "a", "rebuts": "t", "restates": "u"}
    keys = [*labels.values(), *relation_types.values()]
    assert (len(set(keys)), set(keys) & set(COMMAND_KEYS)) == (len(keys), set())


@pytest.mark.parametrize("count", [3, 20])
def test_new_labels_get_distinct_readable_colours_continuing_the_scheme_palette(project, manager, count):
    scheme = [*project.labels.all(), *project.relation_types.all()]
    names = [f"Kind{number}" for number in range(count)]

    datasets.import_records(project=project, records=[kinds_record(names)], user=manager, unknown="add")

    colours = list(project.labels.filter(name__in=names).order_by("order").values_list("colour", flat=True))
    every = [entry.colour for entry in scheme] + colours
    assert colours == EXPECTED_COLOURS[:count]
    assert min(difference(a, b) for i, a in enumerate(every) for b in every[i + 1 :]) >= DISTINCT
    assert [colour for colour in colours if not readable(colour)] == []


# The Okabe–Ito colours the default scheme lacks, then Paul Tol's muted ones far enough
# from them, then the colours farthest from every colour taken.
EXPECTED_COLOURS = [
    *["#56b4e9", "#f0e442", "#000000"],
    *["#332288", "#117733", "#999933", "#ddcc77", "#cc6677", "#882255", "#aa4499", "#dddddd"],
    *["#00ff00", "#0000ff", "#ff00ff", "#00ff99", "#663300", "#00ffff", "#ff0066", "#666666", "#9966ff"],
]


def test_a_new_label_avoids_a_colour_close_to_one_the_scheme_has(project, manager):
    project.labels.filter(name="Claim").update(colour="#1f77b4")  # 2.9 from #0072b2
    project.labels.filter(name="Premise").update(colour="#56b4e9")

    datasets.import_records(project=project, records=[kinds_record(["Kind0", "Kind1"])], user=manager, unknown="add")

    colours = list(project.labels.filter(name__startswith="Kind").order_by("order").values_list("colour", flat=True))
    assert colours == ["#e69f00", "#f0e442"]


def test_new_relation_types_get_colours_apart_from_the_new_labels(project, manager):
    datasets.import_records(
        project=project, records=[kinds_record(["Kind0", "Kind1"], ["rebuts"])], user=manager, unknown="add"
    )

    assert dict(project.labels.filter(name__startswith="Kind").values_list("name", "colour")) == {
        "Kind0": "#56b4e9",
        "Kind1": "#f0e442",
    }
    assert project.relation_types.get(name="rebuts").colour == "#000000"


def test_a_scheme_without_free_keys_is_one_problem_in_preview_and_import(project, manager):
    free = [key for key in datasets.SCHEME_KEYS if key not in COMMAND_KEYS]
    names = [f"Kind{number}" for number in range(len(free) + 2)]
    record = kinds_record(names)
    verdicts = [
        datasets.import_records(
            project=project, records=[record], user=manager, unknown="add", dry_run=dry_run
        ).problems
        for dry_run in (True, False)
    ]

    # The scheme's 3 labels and 2 relation types have 5 of the free keys.
    assert verdicts[0] == verdicts[1]
    assert verdicts[0] == [
        "The scheme has no keyboard key left for 7 more new labels (“Kind20”, “Kind21”, “Kind22”, “Kind23”, "
        "“Kind24”, …): the first 20 new labels took the last free ones. Each label and relation type needs a key "
        "of its own, a letter or digit that is not a workspace command (l, e, 1–9). Add fewer, or remove some from "
        "the scheme first."
    ]
    assert (Article.objects.count(), Label.objects.filter(project=project).count()) == (0, 3)


def test_a_new_relation_type_with_no_key_left_is_refused_with_the_labels_that_took_them(project, manager):
    free = [key for key in datasets.SCHEME_KEYS if key not in COMMAND_KEYS]
    names = [f"Kind{number}" for number in range(len(free) - 5)]

    report = datasets.import_records(
        project=project, records=[kinds_record(names, ["rebuts"])], user=manager, unknown="add"
    )

    assert report.problems == [
        "The scheme has no keyboard key left for 1 more new relation type (“rebuts”): the labels and relation types "
        "of the scheme have them all. Each label and relation type needs a key of its own, a letter or digit that is "
        "not a workspace command (l, e, 1–9). Add fewer, or remove some from the scheme first."
    ]
    assert (report.written, project.labels.count(), project.relation_types.count()) == (False, 3, 2)
