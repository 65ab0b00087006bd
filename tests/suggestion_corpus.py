"""Small generated gold sets for the suggestion model's tests, built through the app's
domain functions: a curator adopts nothing, but annotates gold and finishes curation."""

import random

from annotate import projects, relations, review, units
from annotate.models import Layer
from tests.factories import make_article, scheme_of

SUBJECTS = ["cities", "schools", "farmers", "banks", "hospitals", "parents", "museums", "railways", "ports", "unions"]
ACTIONS = ["ban cars", "raise taxes", "plant trees", "cut fees", "hire nurses", "open late", "share data", "pay more"]
REASONS = [
    "the air is cleaner",
    "costs keep rising",
    "people want it",
    "the evidence is clear",
    "prices fell last year",
    "the old rules failed",
    "children learn faster",
    "traffic kills thousands",
]
OTHERS = ["Some disagree.", "Critics are loud.", "The debate goes on.", "Many are unsure."]


def essay(number: int) -> tuple[str, list[tuple[str, str]], list[tuple[int, int]]]:
    """A text, its units as (label, quote), and relations as (source, target) indexes of units."""
    pick = random.Random(number)
    claim = f"{pick.choice(SUBJECTS)} should {pick.choice(ACTIONS)}"
    reason = pick.choice(REASONS)
    second = f"{pick.choice(SUBJECTS)} must {pick.choice(ACTIONS)}"
    reason2 = pick.choice([r for r in REASONS if r != reason])
    text = (
        f"In article {number}, I believe that {claim}. This matters because {reason}.\n\n"
        f"{pick.choice(OTHERS)} I believe that {second} because {reason2}."
    )
    found = [("Claim", claim), ("Premise", reason), ("Claim", second), ("Premise", reason2)]
    return text, found, [(1, 0), (3, 2)]


def gold_article(project, curator, number: int, *, finish: bool = True):
    """An article with a gold layer holding the essay's units and relations (finished)."""
    text, found, links = essay(number)
    article = make_article(project, text=text, title=f"Essay {number}")
    scheme = scheme_of(project)
    gold = review.start_gold(article=article, user=curator)
    made = []
    cursor = 0
    for label, quote in found:
        start = text.index(quote, cursor)
        cursor = start + len(quote)
        made.append(units.create_unit(layer=gold, label=scheme[label], spans=[(start, cursor)], user=curator).unit)
    for source, target in links:
        relations.create_relation(
            layer=gold, type=scheme["supports"], source=made[source], target=made[target], user=curator
        )
    if finish:
        review.finish_curation(article=article, user=curator)
    return article


def annotated_article(project, annotator, manager, number: int, *, finish: bool = True):
    """An article assigned to `annotator`, whose layer holds the essay's units (finished)."""
    from annotate import lifecycle

    text, found, _ = essay(number)
    article = make_article(project, text=text, title=f"Essay {number}")
    projects.assign(article=article, annotators=[annotator], by=manager)
    layer = Layer.objects.select_related("article__project").get(article=article, annotator=annotator)
    scheme = scheme_of(project)
    cursor = 0
    for label, quote in found:
        start = text.index(quote, cursor)
        cursor = start + len(quote)
        units.create_unit(layer=layer, label=scheme[label], spans=[(start, cursor)], user=annotator)
    if finish:
        lifecycle.finish_layer(layer=layer, user=annotator, confirmed=True)
    return article, layer


def model_in_use(project, curator, *, essays: int = 12):
    """Turn suggestions on in `project` and train its model on `essays` curated essays
    (numbers 0 to essays - 1): the version, ready and in use."""
    from annotate.models import Project
    from annotate.suggestions import learning

    for number in range(essays):
        gold_article(project, curator, number)
    Project.objects.filter(pk=project.pk).update(suggestions=True)
    return learning.train(Project.objects.get(pk=project.pk))
