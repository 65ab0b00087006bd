"""What a lossy format leaves out of a layer, listed, never bent silently.

A format whose shape cannot hold every layer (CoNLL's BIO tags: no overlap, no gaps;
brat's lines, which cannot hold a line break) says, for each layer it writes, which
units and relations it leaves out or writes in part, as `Loss` items: in the file
itself (each CoNLL document's comment lines, a brat zip's LEFT-OUT.txt), to the export
page before download, and to the `export_dataset` command's standard error. A
`LossReport` gathers them in the same pass that writes the file: it counts every loss
by kind and keeps the first `kept` of them to show, so a report over millions of units
stays small.
"""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

# Kinds of loss, in the order a report lists them, with the words it counts them in.
KINDS = {
    "nested": ("nested unit", "nested units"),
    "overlapping": ("overlapping unit", "overlapping units"),
    "split": ("unit written in part", "units written in part"),
    "relation": ("relation", "relations"),
    "line break": ("unit changed at a line break", "units changed at a line break"),
}


@dataclass(frozen=True)
class Loss:
    article: str  # the article's id in the export
    layer: str  # the layer's owner
    kind: str  # one of KINDS
    item: str  # the unit's or relation's id
    says: str  # a sentence for people: what is left out and why

    def __str__(self) -> str:
        return f"article {self.article}, layer {self.layer}: {self.says}"


@dataclass
class LossReport:
    """The losses of one export: all counted, the first `kept` kept; `on_loss(loss)`,
    when given, is called for each as it is found (the command prints them)."""

    kept: int = 100
    on_loss: Callable[[Loss], object] | None = None
    counts: Counter = field(default_factory=Counter)
    losses: list[Loss] = field(default_factory=list)

    def add(self, loss: Loss) -> None:
        self.counts[loss.kind] += 1
        if len(self.losses) < self.kept:
            self.losses.append(loss)
        if self.on_loss is not None:
            self.on_loss(loss)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def more(self) -> int:
        """How many losses are counted but not kept."""
        return self.total - len(self.losses)

    def summary(self) -> str:
        """ "3 nested units, 1 unit written in part, 2 relations", or "" for none."""
        parts = []
        for kind, (one, many) in KINDS.items():
            if count := self.counts[kind]:
                parts.append(f"{count:,} {one if count == 1 else many}")
        return ", ".join(parts)
