"""The argument structure of one layer: the checks run before it is marked finished,
and the outline (the layer as a tree). Plain data in, plain data out; Django-free.

Both go by each label's role in the argument (main conclusion, claim, premise,
other), never by its name or position, and ask only for what the scheme can express:
a scheme without relation types (Webis editorials) is never asked for links or
cycles, and one without a main-conclusion label never for a main conclusion.
"""

from dataclasses import dataclass, field

# The roles a label can have (the values Label.role holds).
MAIN = "main"
CLAIM = "claim"
PREMISE = "premise"
OTHER = "other"
ROLES = (MAIN, CLAIM, PREMISE, OTHER)

# Relation type names (in lower case) that mean "the source gives a reason for the
# target": a cycle of them is circular reasoning.
SUPPORT_NAMES = frozenset({"supports", "support"})


@dataclass(frozen=True)
class Unit:
    id: int
    label: str
    attributes: dict
    quote: str
    start: int  # first character, for text order


@dataclass(frozen=True)
class Link:
    source: int
    target: int
    type: str


@dataclass(frozen=True)
class SchemeLabel:
    name: str
    role: str = OTHER
    stance: bool = False  # the label defines a "stance" attribute


@dataclass(frozen=True)
class Scheme:
    """What the checks and the outline need to know of a project's label scheme."""

    labels: tuple[SchemeLabel, ...] = ()  # in scheme order
    relation_types: tuple[str, ...] = ()  # their names

    def roles(self) -> dict[str, str]:
        """Each label's role, by label name."""
        return {label.name: label.role for label in self.labels}

    def main_labels(self) -> list[str]:
        return [label.name for label in self.labels if label.role == MAIN]

    def stance_claims(self) -> set[str]:
        """Claim labels with a stance attribute: a unit of one stands for or against the
        main conclusion by its stance, so it needs a stance but no relation."""
        return {label.name for label in self.labels if label.role == CLAIM and label.stance}

    def supports(self) -> set[str]:
        return {name for name in self.relation_types if name.lower() in SUPPORT_NAMES}


@dataclass(frozen=True)
class Finding:
    message: str
    unit_ids: tuple[int, ...] = ()


@dataclass
class Node:
    unit: Unit
    edge: str = ""  # how it hangs under its parent: a relation type, or a stance
    children: list["Node"] = field(default_factory=list)


@dataclass
class Outline:
    roots: list[Node]
    loose: list[Unit]


def check(units: list[Unit], links: list[Link], *, scheme: Scheme) -> list[Finding]:
    """What is wrong with the structure, in the order a person would fix it:

    - exactly one main conclusion, when the scheme has a main-conclusion label;
    - every premise linked (and every claim that has no stance to hang by), when the
      scheme has relation types to link with;
    - no cycle of supports, when it has relation types;
    - every claim with a stance, for claim labels that define a stance attribute.
    """
    findings = []
    roles = scheme.roles()
    main_labels = scheme.main_labels()
    stance_claims = scheme.stance_claims()
    if main_labels:
        mains = [unit for unit in units if roles.get(unit.label) == MAIN]
        if len(mains) != 1:
            name = main_labels[0] if len(main_labels) == 1 else "main conclusion"
            findings.append(Finding(f"There should be exactly one {name}; there are {len(mains)}.", _ids(mains)))
    if scheme.relation_types:
        linked = {link.source for link in links} | {link.target for link in links}
        loose = [
            unit
            for unit in units
            if unit.id not in linked
            and (
                roles.get(unit.label) == PREMISE or (roles.get(unit.label) == CLAIM and unit.label not in stance_claims)
            )
        ]
        if loose:
            findings.append(Finding(f"{_count(loose)} not linked to any other unit.", _ids(loose)))
        cycle = support_cycle(links, supports=scheme.supports())
        if cycle:
            findings.append(Finding("These units support each other in a circle.", tuple(cycle)))
    stanceless = [u for u in units if u.label in stance_claims and not u.attributes.get("stance")]
    if stanceless:
        findings.append(Finding(f"{_count(stanceless)} without a stance.", _ids(stanceless)))
    return findings


def _count(units: list[Unit]) -> str:
    """ "1 Premise", "2 Premises", "2 statistics", "3 units" (of several labels)."""
    names = {unit.label for unit in units}
    noun = names.pop() if len(names) == 1 else "unit"
    return f"{len(units)} {noun if len(units) == 1 else plural(noun)}"


def plural(noun: str) -> str:
    """The English plural of a label name: Premise → Premises, testimony → testimonies,
    statistics → statistics (a name already ending in -s is left as it is)."""
    lower = noun.lower()
    if lower.endswith("s"):
        return noun
    if lower.endswith(("x", "z", "ch", "sh")):
        return noun + "es"
    if lower.endswith("y") and lower[-2:-1] not in ("", *"aeiou"):
        return noun[:-1] + "ies"
    return noun + "s"


def _ids(units: list[Unit]) -> tuple[int, ...]:
    return tuple(unit.id for unit in units)


def support_cycle(links: list[Link], *, supports: set[str] = SUPPORT_NAMES) -> list[int]:
    """The units of one cycle of links whose type is in `supports`, in order, or [] if
    there is none."""
    graph: dict[int, list[int]] = {}
    for link in links:
        if link.type in supports:
            graph.setdefault(link.source, []).append(link.target)
    done: set[int] = set()
    for root in sorted(graph):
        path: list[int] = []
        on_path: set[int] = set()
        stack = [(root, iter(graph.get(root, ())))]
        if root in done:
            continue
        path.append(root)
        on_path.add(root)
        while stack:
            node, successors = stack[-1]
            successor = next(successors, None)
            if successor is None:
                stack.pop()
                path.pop()
                on_path.discard(node)
                done.add(node)
            elif successor in on_path:
                return path[path.index(successor) :]
            elif successor not in done:
                stack.append((successor, iter(graph.get(successor, ()))))
                path.append(successor)
                on_path.add(successor)
    return []


def outline(units: list[Unit], links: list[Link], *, scheme: Scheme) -> Outline:
    """The layer as a tree: each main conclusion, the units that relate to it (by a
    relation, or a claim by its stance), and the units under those, in text order.
    Units reached from no root are `loose`."""
    by_id = {unit.id: unit for unit in units}
    roles = scheme.roles()
    stance_claims = scheme.stance_claims()
    # Tops of chains that reach no main conclusion: claims before premises before
    # other units, then in scheme order.
    rank = {label.name: (ROLES.index(label.role), index) for index, label in enumerate(scheme.labels)}
    children: dict[int, list[tuple[int, str]]] = {}
    has_outgoing = set()
    for link in links:
        children.setdefault(link.target, []).append((link.source, link.type))
        has_outgoing.add(link.source)
    roots = sorted((u for u in units if roles.get(u.label) == MAIN), key=lambda u: u.start)
    if len(roots) == 1:
        # A claim without a relation of its own stands for or against the main conclusion.
        for unit in units:
            if unit.label in stance_claims and unit.id not in has_outgoing and unit.attributes.get("stance"):
                children.setdefault(roots[0].id, []).append((unit.id, unit.attributes["stance"]))
    roots += sorted(
        (u for u in units if roles.get(u.label) != MAIN and u.id in children and u.id not in has_outgoing),
        key=lambda u: (rank.get(u.label, (len(ROLES), 0)), u.start),
    )
    placed: set[int] = set()

    def grow(unit: Unit, edge: str) -> Node:
        placed.add(unit.id)
        node = Node(unit, edge)
        for child_id, child_edge in sorted(children.get(unit.id, ()), key=lambda c: by_id[c[0]].start):
            if child_id not in placed:  # a unit appears once, even in a cycle
                node.children.append(grow(by_id[child_id], child_edge))
        return node

    trees = [grow(root, "") for root in roots if root.id not in placed]
    return Outline(trees, [unit for unit in units if unit.id not in placed])
