"""The argument map: a layer's units as boxes in ranks from the main conclusion down,
its relations as arrows, loose units apart, the same SVG as a download."""


from django.urls import reverse

from tests.factories import make_relation, make_unit

SVG = "{http://www.w3.org/2000/svg}"


def map_url(layer, **query) -> str:
    url = reverse("annotate:layer_map", kwargs={"slug": layer.article.project.slug, "pk": layer.pk})
    return url + ("?download=svg" if query.get("download") else "")


def test_map_page_draws_the_layer(client_for, annotator, layer, scheme):
    major = make_unit(layer, scheme["MajorClaim"], "Cities should ban cars from their centres")
    claim = make_unit(layer, scheme["Claim"], "Traffic kills thousands every year", attributes={"stance": "For"})
    premise = make_unit(layer, scheme["Premise"], "most trips in town are short")
    make_relation(layer, scheme["supports"], premise, claim)

    response = client_for(annotator).get(map_url(layer))

    assert response.status_code == 200
    assert major.pk
    assert b"argument-map" in response.content
