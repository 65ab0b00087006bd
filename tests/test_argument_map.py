"""The argument map: a layer's units as boxes in ranks from the main conclusion down,
its relations as arrows between the right boxes, loose units apart, and the same SVG as
a standalone download."""

import random
import re
import xml.etree.ElementTree as ET
from itertools import combinations

import pytest
from django.urls import reverse

from annotate import argument_map, map_svg, projects, units
from annotate.argument_map import ATTACK, STANCE, SUPPORT, MapLink, MapUnit
from annotate.models import Layer, Relation, Role
from annotate.structure import Scheme, SchemeLabel
from tests.factories import make_article, make_project, make_relation, make_unit, make_user, scheme_of

SVG = "{http://www.w3.org/2000/svg}"


def map_url(layer, *, download: bool = False) -> str:
    url = reverse("annotate:layer_map", kwargs={"slug": layer.article.project.slug, "pk": layer.pk})
    return url + ("?download=svg" if download else "")


def workspace_url(layer) -> str:
    return reverse("annotate:layer_detail", kwargs={"slug": layer.article.project.slug, "pk": layer.pk})


def drawing(response) -> ET.Element:
    """The SVG of a download, or the one inline on the page."""
    if response["Content-Type"].startswith("image/svg+xml"):
        return ET.fromstring(response.content)
    page = response.content.decode()
    return ET.fromstring(page[page.index("<svg") : page.index("</svg>") + len("</svg>")])


def boxes(svg: ET.Element) -> dict[int, dict]:
    """Each unit's box as drawn: x, y, width, height, rank (None when loose)."""
    found = {}
    for element in svg.iter():
        if element.get("class") == "unit":
            rect = element.find(f"{SVG}rect")
            x, y, w, h = (float(rect.get(name)) for name in ("x", "y", "width", "height"))
            rank = element.get("data-rank")
            found[int(element.get("data-unit"))] = {
                "x": x, "y": y, "w": w, "h": h, "rank": None if rank is None else int(rank),
            }  # fmt: skip
    return found


def arrows(svg: ET.Element) -> list[tuple[int, int, str, str]]:
    """(source, target, type, kind) of each arrow drawn, sorted."""
    return sorted(
        (int(path.get("data-source")), int(path.get("data-target")), path.get("data-type"), path.get("data-kind"))
        for path in svg.iter(f"{SVG}path")
        if path.get("data-source")
    )


def ends(svg: ET.Element) -> dict[tuple[int, int], tuple[tuple[float, float], tuple[float, float]]]:
    """Where each arrow begins and ends, by (source, target)."""
    found = {}
    for path in svg.iter(f"{SVG}path"):
        if path.get("data-source"):
            numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", path.get("d"))]
            found[int(path.get("data-source")), int(path.get("data-target"))] = (
                tuple(numbers[:2]),
                tuple(numbers[-2:]),
            )
    return found


def overlapping(drawn: dict[int, dict]) -> list[tuple[int, int]]:
    return [
        (a, b)
        for (a, one), (b, other) in combinations(sorted(drawn.items()), 2)
        if one["x"] < other["x"] + other["w"]
        and other["x"] < one["x"] + one["w"]
        and one["y"] < other["y"] + other["h"]
        and other["y"] < one["y"] + one["h"]
    ]


# A layer of 60 units and 50 relations -------------------------------------------------


SENTENCES = 60


@pytest.fixture
def big_layer(project, annotator, annotator2, manager, scheme):
    """One major claim, 9 claims (4 hang by their stance alone), 50 premises; 50
    relations (supports and attacks) from each linked unit to one earlier, some to two;
    9 premises linked to nothing. Returns the layer, the units in order, the relations."""
    text = " ".join(f"Sentence number {i} says something arguable about the city." for i in range(SENTENCES))
    article = make_article(project, text=text)
    projects.assign(article=article, annotators=[annotator, annotator2], by=manager)
    layer = Layer.objects.select_related("article__project", "annotator").get(article=article, annotator=annotator)
    rng = random.Random(7)
    made = []
    for i in range(SENTENCES):
        quote = f"Sentence number {i} says"
        if i == 0:
            label, attributes = scheme["MajorClaim"], None
        elif i < 10:
            label, attributes = scheme["Claim"], {"stance": rng.choice(["For", "Against"])}
        else:
            label, attributes = scheme["Premise"], None
        made.append(make_unit(layer, label, f"{quote} something", inner=quote, attributes=attributes))
    links = []
    for unit in made[1:6]:  # five claims linked to the major claim
        links.append((unit, made[0], rng.choice(["supports", "attacks"])))
    for index in range(10, 51):  # 41 premises, each to a claim or an earlier premise
        target = made[rng.randrange(1, index)]
        links.append((made[index], target, "supports" if rng.random() < 0.75 else "attacks"))
    for index in (12, 20, 33, 41):  # four premises to a second unit
        links.append((made[index], made[rng.randrange(1, 10)], "supports"))
    relations = [make_relation(layer, scheme[kind], source, target) for source, target, kind in links]
    assert (len(made), len(relations)) == (60, 50)
    return layer, made, relations


def test_a_map_of_60_units_and_50_relations_has_no_overlapping_boxes(client_for, annotator, big_layer):
    layer, made, _ = big_layer

    response = client_for(annotator).get(map_url(layer, download=True))

    drawn = boxes(drawing(response))
    assert sorted(drawn) == sorted(unit.pk for unit in made)
    assert overlapping(drawn) == []


def test_every_relation_is_one_arrow_between_the_right_boxes(client_for, annotator, big_layer):
    layer, made, relations = big_layer

    svg = drawing(client_for(annotator).get(map_url(layer, download=True)))

    kind = {"supports": SUPPORT, "attacks": ATTACK}
    expected = [(r.source_id, r.target_id, r.type.name, kind[r.type.name]) for r in relations]
    stance_only = [
        (unit.pk, made[0].pk, unit.attributes["stance"], STANCE) for unit in made[6:10]
    ]  # claims without a relation of their own hang under the major claim by their stance
    assert arrows(svg) == sorted(expected + stance_only)
    drawn = boxes(svg)
    for (source, target), ((x1, y1), (x2, y2)) in ends(svg).items():
        lower, upper = drawn[source], drawn[target]
        # from the top of the source to the bottom of the target, which is above it
        assert (y1, y2) == (lower["y"], upper["y"] + upper["h"])
        assert lower["x"] <= x1 <= lower["x"] + lower["w"]
        assert upper["x"] <= x2 <= upper["x"] + upper["w"]
        assert lower["rank"] > upper["rank"]


def test_the_major_claim_is_alone_on_the_top_rank_and_loose_units_are_apart(client_for, annotator, big_layer):
    layer, made, relations = big_layer

    drawn = boxes(drawing(client_for(annotator).get(map_url(layer, download=True))))

    assert [unit for unit, box in drawn.items() if box["rank"] == 0] == [made[0].pk]
    assert drawn[made[0].pk]["y"] == min(box["y"] for box in drawn.values())
    linked = {r.source_id for r in relations} | {r.target_id for r in relations} | {u.pk for u in made[6:10]}
    loose = [unit.pk for unit in made if unit.pk not in linked]
    assert len(loose) == 9
    assert sorted(unit for unit, box in drawn.items() if box["rank"] is None) == loose
    lowest_ranked = max(box["y"] + box["h"] for box in drawn.values() if box["rank"] is not None)
    assert [unit for unit in loose if drawn[unit]["y"] <= lowest_ranked] == []


def test_each_box_on_the_page_opens_its_unit_in_the_workspace(client_for, annotator, big_layer):
    layer, made, _ = big_layer

    svg = drawing(client_for(annotator).get(map_url(layer)))

    links = {int(a.get("data-unit")): a.get("href") for a in svg.iter(f"{SVG}a")}
    assert links == {unit.pk: f"{workspace_url(layer)}#u-{unit.pk}" for unit in made}


# The download ------------------------------------------------------------------------


def test_the_download_is_a_standalone_svg_file(client_for, annotator, big_layer):
    layer, made, _ = big_layer

    response = client_for(annotator).get(map_url(layer, download=True))

    assert response["Content-Type"] == "image/svg+xml; charset=utf-8"
    title = layer.article.title.lower().replace(" ", "-")
    assert response["Content-Disposition"] == f'attachment; filename="{title}-ann_annotator-map.svg"'
    assert response.content.startswith(
        b'<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg"'
    )
    svg = ET.fromstring(response.content)
    assert svg.tag == f"{SVG}svg"
    assert (float(svg.get("width")), float(svg.get("height"))) > (0, 0)
    tags = {element.tag.removeprefix(SVG) for element in svg.iter()}
    assert tags - {"svg", "title", "defs", "marker", "path", "circle", "rect", "g", "text", "line"} == set()
    attributes = [(name, value) for element in svg.iter() for name, value in element.attrib.items()]
    assert [name for name, _ in attributes if name.endswith("href") or name == "style"] == []
    ids = {value for name, value in attributes if name == "id"}
    references = {ref for _, value in attributes for ref in re.findall(r"url\(([^)]*)\)", value)}
    assert {ref for ref in references if ref.removeprefix("#") not in ids} == set()
    assert len(boxes(svg)) == len(made)


def test_the_page_offers_the_download(client_for, annotator, layer):
    response = client_for(annotator).get(map_url(layer))

    assert f'href="{map_url(layer, download=True)}"' in response.content.decode()


HOSTILE = (
    "Intro. <script>alert(\"x\")</script> & “quoted” 'single' done. שלום עולם \u202eevil\u202c then 👍🏽 e\u0301 end."
)


def test_hostile_text_is_escaped_on_the_page_and_in_the_download(client_for, project, annotator, manager, scheme):
    article = make_article(project, text=HOSTILE, title='A <b>"bold"</b> & title')
    projects.assign(article=article, annotators=[annotator], by=manager)
    layer = Layer.objects.select_related("article__project", "annotator").get(article=article, annotator=annotator)
    script = make_unit(layer, scheme["MajorClaim"], "<script>alert(\"x\")</script> & “quoted” 'single'")
    rtl = make_unit(layer, scheme["Premise"], "שלום עולם \u202eevil\u202c then 👍🏽")
    make_relation(layer, scheme["supports"], rtl, script)
    client = client_for(annotator)

    page = client.get(map_url(layer)).content.decode()
    download = client.get(map_url(layer, download=True))

    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "<b>" not in page
    svg = ET.fromstring(download.content)
    titles = {int(g.get("data-unit")): g.find(f"{SVG}title").text for g in svg.iter(f"{SVG}g") if g.get("data-unit")}
    assert titles == {
        script.pk: "1 · MajorClaim: <script>alert(\"x\")</script> & “quoted” 'single'",
        rtl.pk: "2 · Premise: שלום עולם \u202eevil\u202c then 👍🏽",
    }
    assert svg.find(f"{SVG}title").text == 'Argument map: A <b>"bold"</b> & title (ann_annotator)'
    assert download["Content-Disposition"] == 'attachment; filename="a-bboldb-title-ann_annotator-map.svg"'


def test_text_xml_cannot_hold_is_replaced_so_the_download_still_parses():
    unit = MapUnit(1, 1, "Claim", "#0072b2", {}, "form\x0cfeed and \x01 start")
    scheme = Scheme(labels=(SchemeLabel("Claim", "claim"),))

    svg = ET.fromstring(map_svg.draw(argument_map.layout([unit], [], scheme=scheme), title="t\x0b"))

    assert svg.find(f"{SVG}title").text == "t\ufffd"


# What the page says when there is little to draw ---------------------------------------


def test_a_layer_without_units_has_nothing_to_draw(client_for, annotator, layer):
    response = client_for(annotator).get(map_url(layer))

    assert "Nothing to draw yet: this layer has no units." in response.content.decode()


def test_units_without_relations_are_all_loose(client_for, annotator, layer, scheme):
    make_unit(layer, scheme["Premise"], "Traffic kills thousands every year")
    make_unit(layer, scheme["Premise"], "most trips in town are short")

    response = client_for(annotator).get(map_url(layer))

    assert "Nothing is linked yet: every unit is loose." in response.content.decode()
    assert [box["rank"] for box in boxes(drawing(response)).values()] == [None, None]


def test_a_scheme_without_relation_types_draws_every_unit_loose(client, manager):
    project = make_project(manager=manager, preset="webis")
    user = make_user()
    projects.set_member(project=project, user=user, role=Role.ANNOTATOR, by=None)
    article = make_article(project)
    projects.assign(article=article, annotators=[user], by=manager)
    layer = Layer.objects.select_related("article__project", "annotator").get(article=article)
    make_unit(layer, scheme_of(project)["anecdote"], "Traffic kills thousands every year")
    client.force_login(user)

    response = client.get(map_url(layer))

    assert "This project’s scheme has no relation types, so every unit is loose." in response.content.decode()
    assert [box["rank"] for box in boxes(drawing(response)).values()] == [None]


def test_a_cycle_is_drawn_with_each_relation_once(client_for, annotator, layer, scheme):
    major = make_unit(layer, scheme["MajorClaim"], "Cities should ban cars from their centres")
    one = make_unit(layer, scheme["Premise"], "Traffic kills thousands every year")
    two = make_unit(layer, scheme["Premise"], "most trips in town are short")
    three = make_unit(layer, scheme["Premise"], "footfall rises where streets are calm")
    make_relation(layer, scheme["supports"], one, major)
    make_relation(layer, scheme["supports"], two, one)
    # Two units take one relation now; a layer linked both ways before that rule still draws.
    Relation.objects.create(layer=layer, type=scheme["supports"], source=one, target=two)
    make_relation(layer, scheme["attacks"], three, two)
    make_relation(layer, scheme["supports"], major, three)  # a main conclusion pointing down

    svg = drawing(client_for(annotator).get(map_url(layer, download=True)))

    assert arrows(svg) == sorted(
        [
            (one.pk, major.pk, "supports", SUPPORT),
            (two.pk, one.pk, "supports", SUPPORT),
            (one.pk, two.pk, "supports", SUPPORT),
            (three.pk, two.pk, "attacks", ATTACK),
            (major.pk, three.pk, "supports", SUPPORT),
        ]
    )
    assert {unit: box["rank"] for unit, box in boxes(svg).items()} == {major.pk: 0, one.pk: 1, two.pk: 2, three.pk: 3}
    assert overlapping(boxes(svg)) == []


# Ranks, without Django ---------------------------------------------------------------


def unit(pk: int, label: str = "Premise") -> MapUnit:
    return MapUnit(pk, pk, label, "#e69f00", {}, f"unit {pk}", start=pk)


def test_ranks_put_each_unit_one_below_the_lowest_unit_it_points_to():
    units = [unit(1, "MajorClaim"), unit(2), unit(3), unit(4), unit(5)]
    links = [MapLink(2, 1, "supports", ""), MapLink(3, 2, "supports", ""), MapLink(4, 1, "attacks", "")]
    links += [MapLink(4, 3, "supports", "")]  # 4 points to the main conclusion and to 3

    assert argument_map.ranks(units, links, main_ids={1}) == {1: 0, 2: 1, 3: 2, 4: 3, 5: 0}


def test_a_chain_that_reaches_no_main_conclusion_starts_on_the_top_rank():
    units = [unit(1, "MajorClaim"), unit(2), unit(3), unit(4)]
    links = [MapLink(2, 1, "supports", ""), MapLink(4, 3, "supports", "")]

    assert argument_map.ranks(units, links, main_ids={1}) == {1: 0, 2: 1, 3: 0, 4: 1}


def test_the_kind_of_a_relation_type_goes_by_its_name():
    assert [argument_map.kind_of(name) for name in ["supports", "Support", "attacks", "Rebuts", "restates"]] == [
        "support",
        "support",
        "attack",
        "attack",
        "other",
    ]


# Access ---------------------------------------------------------------------------------


def test_an_outsider_gets_404(client_for, outsider, layer):
    assert client_for(outsider).get(map_url(layer)).status_code == 404
    assert client_for(outsider).get(map_url(layer, download=True)).status_code == 404


def test_an_anonymous_visitor_is_sent_to_log_in(client, layer):
    response = client.get(map_url(layer))

    assert (response.status_code, response["Location"].split("?")[0]) == (302, "/accounts/login/")


@pytest.mark.parametrize("download", [False, True])
def test_in_a_blind_project_another_annotators_map_is_not_found(client_for, article, annotator, annotator2, download):
    theirs = Layer.objects.get(article=article, annotator=annotator2)

    assert client_for(annotator).get(map_url(theirs, download=download)).status_code == 404


def test_in_an_open_project_another_annotators_map_can_be_read(client_for, project, article, annotator, annotator2):
    project.blind = False
    project.save()
    theirs = Layer.objects.get(article=article, annotator=annotator2)

    assert client_for(annotator).get(map_url(theirs)).status_code == 200


@pytest.mark.parametrize("blind", [True, False])
def test_gold_maps_are_for_curators_and_managers(client, project, article, manager, curator, annotator, blind):
    project.blind = blind
    project.save()
    gold = Layer.objects.create(article=article, annotator=None)
    statuses = {}
    for user in (manager, curator, annotator):
        client.force_login(user)
        statuses[user.username] = client.get(map_url(gold)).status_code

    assert statuses == {"mia_manager": 200, "cory_curator": 200, "ann_annotator": 404}


def test_the_map_refuses_post(client_for, annotator, layer):
    assert client_for(annotator).post(map_url(layer)).status_code == 405


# Queries -------------------------------------------------------------------------------


@pytest.mark.parametrize("download", [False, True])
@pytest.mark.parametrize("n", [1, 20])
def test_the_map_runs_a_fixed_number_of_queries(
    client_for, annotator, layer, scheme, n, download, django_assert_num_queries
):
    major = make_unit(layer, scheme["MajorClaim"], "Cities")
    for i in range(n):
        premise = units.create_unit(layer=layer, label=scheme["Premise"], spans=[(7, 14 + i)], user=annotator).unit
        make_relation(layer, scheme["supports" if i % 2 else "attacks"], premise, major)
    client = client_for(annotator)

    # session and user, membership, layer, labels, relation types, spans, relations
    with django_assert_num_queries(8):
        response = client.get(map_url(layer, download=download))

    assert len(boxes(drawing(response))) == n + 1


def test_an_arrow_between_units_of_one_rank_arcs_above_them_below_the_legend():
    units = [unit(1, "MajorClaim"), unit(2, "MajorClaim"), unit(3)]
    links = [MapLink(1, 2, "supports", "#009e73", SUPPORT), MapLink(3, 1, "supports", "#009e73", SUPPORT)]
    scheme = Scheme(labels=(SchemeLabel("MajorClaim", "main"), SchemeLabel("Premise", "premise")))

    drawn = argument_map.layout(units, links, scheme=scheme)

    first, second = drawn.box(1), drawn.box(2)
    arc = next(arrow for arrow in drawn.arrows if arrow.link.source == 1)
    assert (first.rank, second.rank, drawn.box(3).rank) == (0, 0, 1)
    assert (arc.points[0][1], arc.points[-1][1]) == (first.y, second.y)
    assert argument_map.MARGIN + 16 < min(y for _, y in arc.points) < first.y


def test_the_page_marks_where_a_wide_map_opens_the_main_conclusions_centre(client_for, annotator, big_layer):
    layer, made, _ = big_layer

    response = client_for(annotator).get(map_url(layer))

    major = boxes(drawing(response))[made[0].pk]
    assert re.findall(r'<span class="map-start" data-x="(\d+)">', response.content.decode()) == [
        str(round(major["x"] + major["w"] / 2))
    ]
