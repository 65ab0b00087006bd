"""The argument structure of one layer: the checks run before it is marked finished,
and the outline (the layer as a tree). Plain data in, plain data out; Django-free.

The scheme's first label is the main conclusion (MajorClaim, Conclusion). A label with
a "stance" attribute (Claim) takes its place under the main conclusion by that stance
when it has no relation of its own; every other label (Premise) must be linked.
"""

from dataclasses import dataclass, field

SUPPORTS = "supports"


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


def check(units: list[Unit], links: list[Link], *, labels: list[str], stance_labels: set[str]) -> list[Finding]:
    """What is wrong with the structure, in the order a person would fix it: exactly
    one main conclusion, every premise linked, no cycle of supports, every claim with
    a stance."""
    findings = []
    main = labels[0] if labels else None
    mains = [unit for unit in units if unit.label == main]
    if len(mains) != 1:
        findings.append(Finding(f"There should be exactly one {main}; there are {len(mains)}.", _ids(mains)))
    linked = {link.source for link in links} | {link.target for link in links}
    loose = [u for u in units if u.label != main and u.label not in stance_labels and u.id not in linked]
    if loose:
        findings.append(Finding(f"{_count(loose)} not linked to any other unit.", _ids(loose)))
    cycle = support_cycle(links)
    if cycle:
        findings.append(Finding("These units support each other in a circle.", tuple(cycle)))
    stanceless = [u for u in units if u.label in stance_labels and not u.attributes.get("stance")]
    if stanceless:
        findings.append(Finding(f"{_count(stanceless)} without a stance.", _ids(stanceless)))
    return findings


def _count(units: list[Unit]) -> str:
    """ "1 Premise", "3 units" """
    names = {unit.label for unit in units}
    noun = names.pop() if len(names) == 1 else "unit"
    return f"{len(units)} {noun}{'' if len(units) == 1 else 's'}"


def _ids(units: list[Unit]) -> tuple[int, ...]:
    return tuple(unit.id for unit in units)


def support_cycle(links: list[Link]) -> list[int]:
    """The units of one cycle of supports relations, in order, or [] if there is none."""
    graph: dict[int, list[int]] = {}
    for link in links:
        if link.type == SUPPORTS:
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


def outline(units: list[Unit], links: list[Link], *, labels: list[str], stance_labels: set[str]) -> Outline:
    """The layer as a tree: each main conclusion, the units that relate to it (by a
    relation, or a claim by its stance), and the units under those, in text order.
    Units reached from no root are `loose`."""
    by_id = {unit.id: unit for unit in units}
    order = {name: index for index, name in enumerate(labels)}
    children: dict[int, list[tuple[int, str]]] = {}
    has_outgoing = set()
    for link in links:
        children.setdefault(link.target, []).append((link.source, link.type))
        has_outgoing.add(link.source)
    main = labels[0] if labels else None
    roots = sorted((u for u in units if u.label == main), key=lambda u: u.start)
    if len(roots) == 1:
        # A claim without a relation of its own stands for or against the major claim.
        for unit in units:
            if unit.label in stance_labels and unit.id not in has_outgoing and unit.attributes.get("stance"):
                children.setdefault(roots[0].id, []).append((unit.id, unit.attributes["stance"]))
    # Units at the top of a chain that reaches no main conclusion are roots too.
    roots += sorted(
        (u for u in units if u.label != main and u.id in children and u.id not in has_outgoing),
        key=lambda u: (order.get(u.label, len(order)), u.start),
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
