"""The argument map's layout against an earlier revision's, on the same graphs.

Lays out a demo-sized layer (1 major claim, 4 claims, 10 premises, 15 relations), 50
generated argument graphs (8 to 60 units: claims for and against the major claim,
premises under claims and under premises, and one link in ten to any unit, which makes
arrows pass ranks and cross) and one such graph of 300 units, with `annotate.argument_map.layout` as it is now and as it
was at REV (loaded from git, with whatever that revision imported: before the layered
module, igraph). For each it counts the crossings of arrows (pairs of arrow polylines
that intersect, as drawn), the map's width, and the median time of 5 layouts; it prints
the demo's figures and the sums and medians over the 50.

Usage, from the repository root (no database needed; a revision that used igraph needs
it installed beside, as it is no longer a dependency: `.venv/bin/pip install igraph==1.0.0`):

    .venv/bin/python scripts/bench_map_layout.py [--old REV]
"""

import argparse
import importlib.util
import multiprocessing
import random
import statistics
import subprocess
import sys
import tempfile
import time
from itertools import combinations
from pathlib import Path

from _bench import ROOT, code_version

sys.path.insert(0, str(ROOT))  # plain data in and out: no Django needed

from annotate import argument_map  # noqa: E402
from annotate.argument_map import ATTACK, SUPPORT, MapLink, MapUnit  # noqa: E402
from annotate.structure import MAIN, Scheme, SchemeLabel  # noqa: E402

SCHEME = Scheme(
    labels=(
        SchemeLabel("MajorClaim", role=MAIN),
        SchemeLabel("Claim", stance=True),
        SchemeLabel("Premise"),
    ),
    relation_types=("supports", "attacks"),
)
WORDS = "the council should act now because the evidence shows that cycling lanes cut traffic".split()


def old_module(revision: str):
    """`annotate/argument_map.py` as it was at `revision`, imported under another name."""
    source = subprocess.run(
        ["git", "show", f"{revision}:annotate/argument_map.py"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    path = Path(tempfile.mkdtemp()) / "argument_map_old.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("argument_map_old", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def unit(number: int, label: str, rng: random.Random, stance: str = "") -> MapUnit:
    quote = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 24)))
    return MapUnit(number, number, label, "#336699", {"stance": stance} if stance else {}, quote, number * 100)


def link(source: int, target: int, rng: random.Random) -> MapLink:
    kind = SUPPORT if rng.random() < 0.75 else ATTACK
    return MapLink(source, target, "supports" if kind == SUPPORT else "attacks", "#446688", kind)


def generated(rng: random.Random, size: int) -> tuple[list[MapUnit], list[MapLink]]:
    units = [unit(1, "MajorClaim", rng)]
    links: list[MapLink] = []
    claims = max(2, size // 6)
    for _ in range(claims):
        units.append(unit(len(units) + 1, "Claim", rng, rng.choice(["For", "Against"])))
        if rng.random() < 0.6:  # the others hang by their stance
            links.append(link(units[-1].id, 1, rng))
    while len(units) < size:
        target = rng.choice(units[1:])
        units.append(unit(len(units) + 1, "Premise", rng))
        links.append(link(units[-1].id, target.id, rng))
    for source in units[1:]:
        if rng.random() < 0.1:
            target = rng.choice([u for u in units if u.id != source.id])
            if not any(ln.source == source.id and ln.target == target.id for ln in links):
                links.append(link(source.id, target.id, rng))
    rng.shuffle(units)  # text order is not the tree's order
    return sorted(units, key=lambda u: u.start), links


def demo(rng: random.Random) -> tuple[list[MapUnit], list[MapLink]]:
    units = [unit(1, "MajorClaim", rng)]
    stances = ["For", "For", "Against", "For"]
    units += [unit(n, "Claim", rng, stance) for n, stance in zip(range(2, 6), stances, strict=True)]
    units += [unit(n, "Premise", rng) for n in range(6, 16)]
    pairs = [(2, 1), (3, 1), (4, 1), (6, 2), (7, 2), (8, 6), (9, 3), (10, 3), (11, 4), (12, 4), (13, 11), (14, 5)]
    pairs += [(15, 5), (12, 2), (10, 4)]
    return units, [link(source, target, rng) for source, target in pairs]


def crossings(layout) -> int:
    """Pairs of arrows whose polylines cross (touching ends, at a shared box, do not count)."""

    def segments(arrow):
        return list(zip(arrow.points, arrow.points[1:], strict=False))

    def cross(p, q, r, s) -> bool:
        def orient(a, b, c):
            value = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
            return (value > 1e-9) - (value < -1e-9)

        return orient(p, q, r) * orient(p, q, s) < 0 and orient(r, s, p) * orient(r, s, q) < 0

    return sum(
        any(cross(*a, *b) for a in segments(first) for b in segments(second))
        for first, second in combinations(layout.arrows, 2)
    )


def measure(module, units, links) -> tuple[int, float, float] | None:
    """Crossings, width and median time; None when the layout fails."""
    times = []
    for _ in range(5):
        started = time.perf_counter()
        try:
            drawn = module.layout(units, links, scheme=SCHEME)
        except IndexError:  # igraph's, at times
            return None
        times.append((time.perf_counter() - started) * 1000)
    return crossings(drawn), drawn.width, statistics.median(times)


def measure_apart(module, units, links) -> tuple[int, float, float] | None:
    """`measure` in a child process: igraph's layout has crashed the process (a
    segmentation fault) on some of these graphs."""
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=lambda: queue.put(measure(module, units, links)))
    child.start()
    child.join()
    return queue.get() if child.exitcode == 0 else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--old", default="f86f321", help="the revision to compare with (default f86f321)")
    args = parser.parse_args()
    old = old_module(args.old)
    rng = random.Random(20261207)
    graphs = [demo(rng)] + [generated(rng, rng.randint(8, 60)) for _ in range(50)]
    graphs.append(generated(random.Random(5), 300))
    rows, failed = [], []
    for number, (units, links) in enumerate(graphs):
        before, after = measure_apart(old, units, links), measure(argument_map, units, links)
        if before is None or after is None:
            failed.append((number, before is None, after is None))
            continue
        rows.append((before, after, len(units), len(links)))
    for number, old_failed, new_failed in failed:
        where = " and ".join(name for name, failed in ((args.old, old_failed), ("now", new_failed)) if failed)
        print(f"graph {number}: the layout failed ({where}); left out")
    print(f"Argument map layout, code {code_version()} against {args.old}, Python {sys.version.split()[0]}")
    (oc, ow, ot), (nc, nw, nt), n, m = rows[0]
    print(f"\ndemo-sized layer ({n} units, {m} relations)")
    print(f"  {args.old}: {oc} crossings, {ow:.0f} px wide, {ot:.2f} ms")
    print(f"  now:     {nc} crossings, {nw:.0f} px wide, {nt:.2f} ms")
    (oc, ow, ot), (nc, nw, nt), n, m = rows[-1]
    print(f"\na generated graph of {n} units, {m} relations")
    print(f"  {args.old}: {oc} crossings, {ow:.0f} px wide, {ot:.2f} ms")
    print(f"  now:     {nc} crossings, {nw:.0f} px wide, {nt:.2f} ms")
    rest = rows[1:-1]
    print(f"\n{len(rest)} generated graphs ({sum(r[2] for r in rest)} units, {sum(r[3] for r in rest)} relations)")
    for name, at in ((args.old, 0), ("now", 1)):
        crossing = [r[at][0] for r in rest]
        width = [r[at][1] for r in rest]
        ms = sorted(r[at][2] for r in rest)
        print(
            f"  {name}: crossings {sum(crossing)} in all (median {statistics.median(crossing):.0f}, "
            f"max {max(crossing)}), width median {statistics.median(width):.0f} px (sum {sum(width):.0f}), "
            f"time median {statistics.median(ms):.2f} ms, max {ms[-1]:.2f} ms"
        )
    fewer = sum(r[1][0] < r[0][0] for r in rest)
    more = sum(r[1][0] > r[0][0] for r in rest)
    narrower = sum(r[1][1] < r[0][1] for r in rest)
    print(f"  now has fewer crossings on {fewer}, more on {more}; is narrower on {narrower} of {len(rest)}")


if __name__ == "__main__":
    main()
