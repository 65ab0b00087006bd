"""Label scheme presets a manager picks when creating a project, and can then edit.

Plain data: a preset is a list of label dicts and a list of relation-type dicts.
"""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Preset:
    key: str
    name: str
    labels: list[dict] = field(default_factory=list)
    relation_types: list[dict] = field(default_factory=list)


SUPPORT_ATTACK = [
    {"name": "supports", "key": "s", "colour": "#2ca02c", "description": "The source gives a reason for the target."},
    {"name": "attacks", "key": "a", "colour": "#d62728", "description": "The source argues against the target."},
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
                    "key": "m",
                    "colour": "#9467bd",
                    "description": "The op-ed's main conclusion: the stance the author argues for.",
                },
                {
                    "name": "Claim",
                    "key": "c",
                    "colour": "#1f77b4",
                    "description": "A controversial statement that supports or attacks the major claim.",
                    "attributes": {"stance": ["For", "Against"]},
                },
                {
                    "name": "Premise",
                    "key": "p",
                    "colour": "#ff7f0e",
                    "description": "A reason given to support or attack a claim or another premise.",
                },
            ],
            relation_types=SUPPORT_ATTACK,
        ),
        Preset(
            key="premise_conclusion",
            name="Premise–Conclusion",
            labels=[
                {"name": "Conclusion", "key": "c", "colour": "#1f77b4", "description": "What the author concludes."},
                {"name": "Premise", "key": "p", "colour": "#ff7f0e", "description": "A reason for a conclusion."},
            ],
            relation_types=SUPPORT_ATTACK,
        ),
        Preset(
            key="webis",
            name="Webis editorials",
            labels=[
                {
                    "name": "assumption",
                    "key": "a",
                    "colour": "#1f77b4",
                    "description": "A conclusion, opinion or belief of the author.",
                },
                {
                    "name": "anecdote",
                    "key": "n",
                    "colour": "#ff7f0e",
                    "description": "A personal experience or concrete event.",
                },
                {
                    "name": "testimony",
                    "key": "t",
                    "colour": "#2ca02c",
                    "description": "A statement by an expert or authority.",
                },
                {
                    "name": "statistics",
                    "key": "s",
                    "colour": "#d62728",
                    "description": "The result of a quantitative study.",
                },
                {
                    "name": "common-ground",
                    "key": "g",
                    "colour": "#9467bd",
                    "description": "Common knowledge or a self-evident fact.",
                },
                {"name": "other", "key": "o", "colour": "#7f7f7f", "description": "Any other argumentative text."},
            ],
            relation_types=[],
        ),
    ]
}
DEFAULT_PRESET = "aae"
PRESET_CHOICES = [(preset.key, preset.name) for preset in PRESETS.values()]
