"""Label scheme presets a manager picks when creating a project, and can then edit.

Plain data: a preset is a list of label dicts and a list of relation-type dicts. Every
label has a role in the argument (annotate.structure: main, claim, premise, other),
which is what the structure checks and the outline go by. No label or relation type
uses a key the workspace keeps for its commands (models.COMMAND_KEYS). Colours come
from the Okabe–Ito palette, told apart with the common kinds of colour blindness; the
entries an import adds continue it (`next_colour`).
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from annotate.contrast import difference


@dataclass(frozen=True)
class Preset:
    key: str
    name: str
    labels: list[dict] = field(default_factory=list)
    relation_types: list[dict] = field(default_factory=list)


SUPPORT_ATTACK = [
    {"name": "supports", "key": "s", "colour": "#009e73", "description": "The source gives a reason for the target."},
    {"name": "attacks", "key": "a", "colour": "#d55e00", "description": "The source argues against the target."},
]

PRESETS = {
    preset.key: preset
    for preset in [
        Preset(
            key="aae",
            name="Argument Annotated Essays",
            labels=[
                {
                    "name": "MajorClaim",
                    "role": "main",
                    "key": "m",
                    "colour": "#cc79a7",
                    "description": "The op-ed's main conclusion: the stance the author argues for.",
                },
                {
                    "name": "Claim",
                    "role": "claim",
                    "key": "c",
                    "colour": "#0072b2",
                    "description": "A controversial statement that supports or attacks the major claim.",
                    "attributes": {"stance": ["For", "Against"]},
                },
                {
                    "name": "Premise",
                    "role": "premise",
                    "key": "p",
                    "colour": "#e69f00",
                    "description": "A reason given to support or attack a claim or another premise.",
                },
            ],
            relation_types=SUPPORT_ATTACK,
        ),
        Preset(
            key="premise_conclusion",
            name="Premise–Conclusion",
            labels=[
                {
                    "name": "Conclusion",
                    "role": "main",
                    "key": "c",
                    "colour": "#0072b2",
                    "description": "What the author concludes.",
                },
                {
                    "name": "Premise",
                    "role": "premise",
                    "key": "p",
                    "colour": "#e69f00",
                    "description": "A reason for a conclusion.",
                },
            ],
            relation_types=SUPPORT_ATTACK,
        ),
        Preset(
            key="webis",
            name="Webis editorials",
            # Al-Khatib et al. (2016) mark each discourse unit by its evidence type and
            # link nothing, and an editorial has many assumptions rather than one thesis.
            # So: no main conclusion; an assumption (the author's own conclusion or belief)
            # is a claim without a stance attribute; anecdote, testimony and statistics are
            # evidence given for an assumption, and common ground a premise taken for
            # granted, so premises; "other" is other. With no relation types, the checks
            # ask neither for links nor for a main conclusion: any Webis layer passes them.
            labels=[
                {
                    "name": "assumption",
                    "role": "claim",
                    "key": "a",
                    "colour": "#0072b2",
                    "description": "A conclusion, opinion or belief of the author.",
                },
                {
                    "name": "anecdote",
                    "role": "premise",
                    "key": "n",
                    "colour": "#e69f00",
                    "description": "A personal experience or concrete event.",
                },
                {
                    "name": "testimony",
                    "role": "premise",
                    "key": "t",
                    "colour": "#009e73",
                    "description": "A statement by an expert or authority.",
                },
                {
                    "name": "statistics",
                    "role": "premise",
                    "key": "s",
                    "colour": "#d55e00",
                    "description": "The result of a quantitative study.",
                },
                {
                    "name": "common-ground",
                    "role": "premise",
                    "key": "g",
                    "colour": "#cc79a7",
                    "description": "Common knowledge or a self-evident fact.",
                },
                {
                    "name": "other",
                    "role": "other",
                    "key": "o",
                    "colour": "#000000",
                    "description": "Any other argumentative text.",
                },
            ],
            relation_types=[],
        ),
    ]
}
DEFAULT_PRESET = "aae"
PRESET_CHOICES = [(preset.key, preset.name) for preset in PRESETS.values()]

# The colours a scheme's new entries take, in order: the Okabe–Ito colours of the presets,
# then Paul Tol's "muted" palette, also told apart with the common colour blindnesses.
PALETTE = [
    *["#e69f00", "#56b4e9", "#009e73", "#f0e442", "#0072b2", "#d55e00", "#cc79a7", "#000000"],
    *["#332288", "#88ccee", "#44aa99", "#117733", "#999933", "#ddcc77", "#cc6677", "#882255", "#aa4499", "#dddddd"],
]
# Two colours of a scheme at least this far apart (contrast.difference) are told apart at
# a glance (the Okabe–Ito colours are 26.4 or more apart; #1f77b4 and #0072b2, 2.9).
DISTINCT = 20
# Where the colours come from once the palette has none far enough from a scheme's: every
# channel in steps of 0x33.
GRID = [f"#{r:02x}{g:02x}{b:02x}" for r in range(0, 256, 51) for g in range(0, 256, 51) for b in range(0, 256, 51)]


def next_colour(taken: Iterable[str]) -> str:
    """The colour for a new label or relation type of a scheme whose entries have the
    colours `taken`: the first palette colour at least DISTINCT from each of them, or,
    when none is, the colour of GRID farthest from the nearest of them. Any colour has a
    text colour that reads on it (contrast.readable)."""
    taken = list(taken)

    def nearest(colour: str) -> float:
        return min((difference(colour, other) for other in taken), default=100.0)

    for colour in PALETTE:
        if nearest(colour) >= DISTINCT:
            return colour
    return max(GRID, key=nearest)
