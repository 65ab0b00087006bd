"""The review and attributes: two annotators who mark the same words with the same label
but another stance disagree, adopting takes a unit's attributes with it, and adopting
the majority takes the majority's value or leaves the unit to the curator."""

import pytest

from annotate import history, projects, review
from annotate.models import Layer
from tests.factories import make_unit, make_user
from tests.test_review import (
    HTMX,
    SHOPS,
    TABLE,
    TRAFFIC,
    adopt_majority,
    adopt_url,
    gold_state,
    html,
    review_url,
    status_text,
)


@pytest.fixture
def ann_layer(article, annotator):
    return Layer.objects.select_related("article__project").get(article=article, annotator=annotator)


@pytest.fixture
def ben_layer(article, annotator2):
    return Layer.objects.select_related("article__project").get(article=article, annotator=annotator2)


@pytest.fixture
def cal_layer(project, article, annotator, annotator2, manager):
    cal = make_user("cal_annotator")
    projects.set_member(project=project, user=cal, role="annotator", by=None)
    projects.assign(article=article, annotators=[annotator, annotator2, cal], by=manager)
    return Layer.objects.select_related("article__project").get(article=article, annotator=cal)


def badges(article):
    return [
        [(unit.label.name, unit.quote, unit.verdict, unit.badge, unit.in_gold) for unit in entry.units]
        for entry in review.load(article).annotators
    ]


def test_the_same_words_and_label_with_another_stance_are_a_disagreement_of_their_own(
    article, ann_layer, ben_layer, scheme
):
    make_unit(ann_layer, scheme["Claim"], SHOPS, attributes={"stance": "For"})
    make_unit(ben_layer, scheme["Claim"], SHOPS, attributes={"stance": "Against"})
    make_unit(ann_layer, scheme["Claim"], TRAFFIC, attributes={"stance": "For"})
    make_unit(ben_layer, scheme["Claim"], TRAFFIC, attributes={"stance": "For"})

    data = review.load(article)

    differs = "stance differs: ann_annotator For, ben_annotator Against"
    assert badges(article) == [
        [("Claim", TRAFFIC, "agreed", "agreed by all", False), ("Claim", SHOPS, "attribute", differs, False)],
        [("Claim", TRAFFIC, "agreed", "agreed by all", False), ("Claim", SHOPS, "attribute", differs, False)],
    ]
    assert [(entry.disagreements, entry.to_settle) for entry in data.annotators] == [(1, 1), (1, 1)]


def test_a_stance_left_unset_differs_from_one_set_among_three_annotators(
    article, ann_layer, ben_layer, cal_layer, scheme
):
    make_unit(ann_layer, scheme["Claim"], SHOPS, attributes={"stance": "For"})
    make_unit(ben_layer, scheme["Claim"], SHOPS, attributes={"stance": "For"})
    make_unit(cal_layer, scheme["Claim"], SHOPS)

    differs = "stance differs: ann_annotator For, ben_annotator For, cal_annotator none"
    assert badges(article) == [[("Claim", SHOPS, "attribute", differs, False)]] * 3


def test_adopting_the_other_stance_restates_the_gold_unit_and_can_be_undone(
    article, ann_layer, ben_layer, scheme, curator
):
    ann_claim = make_unit(ann_layer, scheme["Claim"], SHOPS, attributes={"stance": "For"})
    ben_claim = make_unit(ben_layer, scheme["Claim"], SHOPS, attributes={"stance": "Against"})
    review.adopt_unit(unit=ann_claim, user=curator)

    adoption = review.adopt_unit(unit=ben_claim, user=curator)

    assert (adoption.created, adoption.restated) == (False, True)
    assert gold_state(article) == ([("Claim", SHOPS, {"stance": "Against"})], [])
    differs = "stance differs: ann_annotator For, ben_annotator Against"
    # Gold settles ann's unit (the curator chose the other stance) but does not hold it.
    assert badges(article) == [
        [("Claim", SHOPS, "attribute", differs, False)],
        [("Claim", SHOPS, "attribute", differs, True)],
    ]
    assert [entry.to_settle for entry in review.load(article).annotators] == [0, 0]
    assert [unit.badge for unit in review.load(article).gold.units] == ["1 of 2 annotators"]
    history.undo(layer=Layer.objects.get(article=article, annotator=None), user=curator)
    assert gold_state(article) == ([("Claim", SHOPS, {"stance": "For"})], [])


def test_the_adoption_notice_says_the_gold_unit_took_the_stance(client, article, ann_layer, ben_layer, scheme, curator):
    review.adopt_unit(unit=make_unit(ann_layer, scheme["Claim"], SHOPS, attributes={"stance": "For"}), user=curator)
    make_unit(ben_layer, scheme["Claim"], SHOPS, attributes={"stance": "Against"})
    client.force_login(curator)
    page = html(client.get(review_url(article) + TABLE))

    answer = html(client.post(adopt_url(page, "Claim", SHOPS, "ben_annotator"), headers=HTMX))

    assert status_text(answer) == f"Claim “{SHOPS}” was already in gold and now has stance Against."


@pytest.mark.parametrize(
    ("given", "common"),
    [
        ([{"stance": "For"}, {"stance": "For"}, {"stance": "Against"}], {"stance": "For"}),
        ([{"stance": "For"}, {"stance": "For"}, {}], {"stance": "For"}),
        ([{}, {}, {"stance": "For"}], {}),  # most left it unset
        ([{"stance": "For"}, {"stance": "Against"}], None),
        ([{"stance": "For"}, {}], None),
        ([{"stance": "For"}, {"stance": "Against"}, {}], None),  # no value has more than half
        ([{"stance": "For"}], {"stance": "For"}),
        ([{}], {}),
    ],
)
def test_the_majority_attributes_are_those_more_than_half_gave(given, common):
    assert review.majority_attributes(given) == common


def test_majority_leaves_out_a_unit_whose_stance_the_annotators_split_on_and_says_so(
    client, article, ann_layer, ben_layer, scheme, curator
):
    make_unit(ann_layer, scheme["Claim"], SHOPS, attributes={"stance": "For"})
    make_unit(ben_layer, scheme["Claim"], SHOPS, attributes={"stance": "Against"})
    make_unit(ann_layer, scheme["Claim"], TRAFFIC, attributes={"stance": "Against"})
    make_unit(ben_layer, scheme["Claim"], TRAFFIC, attributes={"stance": "Against"})
    client.force_login(curator)

    response = adopt_majority(client, article, minimum=2)

    assert status_text(html(response)) == (
        "Adopted 1 unit and 0 relations that at least 2 annotators agreed on. "
        "Left out: 1 unit whose stance or other attributes no majority agreed on (adopt the one you choose on its own)."
    )
    assert gold_state(article) == ([("Claim", TRAFFIC, {"stance": "Against"})], [])


def test_the_table_and_the_lanes_show_each_annotators_stance(client, article, ann_layer, ben_layer, scheme, curator):
    make_unit(ann_layer, scheme["Claim"], SHOPS, attributes={"stance": "For"})
    make_unit(ben_layer, scheme["Claim"], SHOPS, attributes={"stance": "Against"})
    make_unit(ann_layer, scheme["Claim"], TRAFFIC, attributes={"stance": "For"})
    make_unit(ben_layer, scheme["Claim"], TRAFFIC, attributes={"stance": "For"})
    client.force_login(curator)

    table = html(client.get(review_url(article) + TABLE))
    lanes = html(client.get(review_url(article)))

    rows = table.xpath('//ol[starts-with(@aria-label, "Units of ")]/li')
    shown = './/span[contains(@class, "chip") or contains(@class, "badge")]/text()'
    assert [" ".join(row.xpath(shown)) for row in rows] == [
        "For agreed by all",
        "For stance differs: ann_annotator For, ben_annotator Against",
        "For agreed by all",
        "Against stance differs: ann_annotator For, ben_annotator Against",
    ]
    # ann's lane under the line, then ben's.
    said = [" ".join(text.split()) for text in lanes.xpath('//button[contains(@class, "lane-unit")]/span/text()')]
    differs = "stance differs: ann_annotator For, ben_annotator Against"
    assert said == [
        f"Adopt Claim “{TRAFFIC}” from ann_annotator: agreed by all, stance For",
        f"Adopt Claim “{SHOPS}” from ann_annotator: {differs}",
        f"Adopt Claim “{TRAFFIC}” from ben_annotator: agreed by all, stance For",
        f"Adopt Claim “{SHOPS}” from ben_annotator: {differs}",
    ]
