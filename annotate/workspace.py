"""What the annotation workspace shows of one layer, loaded in a fixed number of
queries: its units and relations (from the one read model, `layer_content`), its
structure findings and outline, and the lines of text a change touched. The layer's
lifecycle (start, finish, reopen, stance) is in `lifecycle`.
"""

from dataclasses import dataclass
from functools import cached_property

from annotate import layer_content, structure
from annotate.layer_content import RelationEntry, UnitEntry
from annotate.models import Label, Layer, RelationType


@dataclass
class Workspace:
    layer: Layer
    labels: list[Label]
    relation_types: list[RelationType]
    units: list[UnitEntry]
    relations: list[RelationEntry]

    @property
    def text(self) -> str:
        return self.layer.article.text

    def _plain(self) -> tuple[list[structure.Unit], list[structure.Link], structure.Scheme]:
        units = [structure.Unit(u.id, u.label.name, u.attributes, u.quote, u.start) for u in self.units]
        links = [structure.Link(r.source.id, r.target.id, r.type.name) for r in self.relations]
        scheme = structure.Scheme(
            labels=tuple(
                structure.SchemeLabel(label.name, label.role, "stance" in label.attributes) for label in self.labels
            ),
            relation_types=tuple(relation_type.name for relation_type in self.relation_types),
        )
        return units, links, scheme

    def explain(self, findings: list[structure.Finding]) -> list[tuple[str, list[UnitEntry]]]:
        """Each finding's message with the units it names, for the page to link to."""
        by_id = {unit.id: unit for unit in self.units}
        return [(finding.message, [by_id[pk] for pk in finding.unit_ids if pk in by_id]) for finding in findings]

    @cached_property
    def findings(self) -> list[structure.Finding]:
        units, links, scheme = self._plain()
        return structure.check(units, links, scheme=scheme)

    @cached_property
    def outline(self) -> structure.Outline:
        units, links, scheme = self._plain()
        return structure.outline(units, links, scheme=scheme)


def load(layer: Layer) -> Workspace:
    """Everything the workspace shows of `layer` (whose article and project are
    loaded): two queries, however many units it holds, and one more each for the
    project's labels and relation types when the cache does not hold this scheme
    version's."""
    project = layer.article.project
    labels = project.scheme_labels
    relation_types = project.scheme_relation_types
    units, relations = layer_content.entries(
        layer_content.read_one(layer),
        labels={label.pk: label for label in labels},
        relation_types={relation_type.pk: relation_type for relation_type in relation_types},
        text=layer.article.text,
    )
    relations.sort(key=lambda r: (r.target.number, r.source.number))
    return Workspace(layer, labels, relation_types, units, relations)
