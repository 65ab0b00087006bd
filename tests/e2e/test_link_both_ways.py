"""Linking back two units already linked, in a real browser: refused, the message naming
the relation there is, and nothing written (two units take one relation, either way)."""

from playwright.sync_api import expect

from annotate import relations, units
from annotate.models import Layer, Relation
from annotate.seeding import DEMO_PASSWORD, load_seeds
from tests.e2e.console import refused

CLAIM, PREMISE = "So will the ceasefire hold", "Iran is depleted and banged up"


def test_linking_the_claim_back_to_the_premise_that_supports_it_is_refused_with_the_relation_named(
    page, log_in, transactional_db, expect_console_errors, tmp_path
):
    expect_console_errors(refused(422))
    load_seeds()
    layer = Layer.objects.select_related("article__project").get(annotator__username="alice")
    text, labels = layer.article.text, {label.name: label for label in layer.article.project.labels.all()}
    made = {
        name: units.create_unit(
            layer=layer,
            label=labels[name],
            spans=[(text.index(quote), text.index(quote) + len(quote))],
            user=layer.annotator,
        ).unit
        for name, quote in [("Claim", CLAIM), ("Premise", PREMISE)]
    }
    supports = layer.article.project.relation_types.get(name="supports")
    relations.create_relation(
        layer=layer, type=supports, source=made["Premise"], target=made["Claim"], user=layer.annotator
    )
    log_in("alice", DEMO_PASSWORD)
    page.goto(f"/p/demo/layers/{layer.pk}/")

    page.locator(f"#u-{made['Claim'].pk}").click()
    page.keyboard.press("l")
    page.locator(f"#u-{made['Premise'].pk}").click()
    page.keyboard.press("a")

    expect(page.locator("#workspace-message .message")).to_have_text(
        f"These two units are already linked: Premise “{PREMISE}” supports Claim “{CLAIM}”. Two units take one "
        "relation: to link them another way, delete that one first (choose it, then Delete). Dismiss"
    )
    expect(page.locator(".relation-row")).to_have_count(1)
    page.screenshot(path=str(tmp_path / "link-both-ways.png"), caret="initial")
    assert list(Relation.objects.values_list("source", "target", "type__name")) == [
        (made["Premise"].pk, made["Claim"].pk, "supports")
    ]
