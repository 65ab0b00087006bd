"""What suggestions are worth, measured on an annotated corpus (docs/suggestions.md).

Reads a brat corpus (by default the generated essays of make_essay_corpus.py, 120 of
them), imports it as gold into projects of a throwaway PostgreSQL database, splits it by
essay, 80 % to train and 20 % to test (the same split every run: the essays' names,
shuffled with --seed), and reports:

- quality: the markers' suggestions and the model's, against the test essays' gold:
  span F1 exact and overlap (label and span), relation F1 (type, direction and both
  ends exact); the model trained on 10, 25, 50 and 100 % of the training essays (the
  learning curve), with its training time and peak memory;
- latency: server time of opening an article in the workspace with suggestions off;
  on, at a layer's first opening before its suggestions were made ("first": the page
  opens without the model's, and asks for them at once, "ghosts": that request, which
  tags the text and writes them); and on when they were made before ("read": by the
  worker, or by an earlier opening), over many requests in interleaved rounds;
- anchoring: agreement between two simulated annotators who start from suggestions,
  and between two who do not, on the test essays (see `annotate_like`).

The effort in a browser (key presses and seconds to a finished layer) is measured by
scripts/bench_suggestion_effort.py.

Usage, from the repository root:

    export DATABASE_URL="postgres://USER@/DBNAME?host=/path/to/socket/dir"
    .venv/bin/python scripts/bench_suggestions.py [--corpus DIR] [--requests N] [--seed S]

DATABASE_URL names the server only: the script works in a database of its own,
`test_annotate_bench_suggestions_<pid>`, dropped at the end.
"""

import argparse
import html
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from _bench import code_version, require, setup_django  # noqa: E402

setup_django()

from bench_workspace import in_a_throwaway_database  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from annotate import projects  # noqa: E402
from annotate.agreement import krippendorff_unitizing_alpha, relation_f1, span_f1  # noqa: E402
from annotate.formats.records import ArticleRecord  # noqa: E402
from annotate.layer_content import read  # noqa: E402
from annotate.models import Article, Layer, Project, Role, Suggestion, SuggestionModel  # noqa: E402
from annotate.suggestions import learning  # noqa: E402
from annotate.suggestions import markers as marker_hints  # noqa: E402

FRACTIONS = (0.10, 0.25, 0.50, 1.00)
# What a page opened before the model's suggestions were made asks for at once.
ASKS = re.compile(r'<span hidden hx-get="([^"]*\?ghosts=1)" hx-trigger="load"')


@dataclass
class Essay:
    name: str
    text: str
    units: list[tuple[str, tuple[int, int]]]  # (label, span)
    relations: list[tuple[int, int, str]]  # (source index, target index, type) into units


# --- The corpus ---------------------------------------------------------------------------


def corpus_folder(given: str | None, seed: int) -> Path:
    if given:
        return Path(given)
    folder = Path(tempfile.mkdtemp(prefix="essays-"))
    subprocess.run(
        [sys.executable, str(ROOT / "scripts/make_essay_corpus.py"), "--out", str(folder), "--seed", str(seed)],
        check=True,
        capture_output=True,
    )
    return folder


def new_project(name: str, manager: User) -> Project:
    return projects.create_project(name=name, slug=name, manager=manager, preset="aae")


def import_gold(project: Project, folder: Path) -> None:
    """The brat files of `folder` as the project's gold, through the import command,
    every gold layer marked finished (curated)."""
    call_command("import_articles", "--project", project.slug, "--owner", "gold", str(folder), verbosity=0)
    Layer.objects.filter(article__project=project, annotator__isnull=True).update(status=Layer.Status.FINISHED)


def essays_of(project: Project) -> dict[str, Essay]:
    """Each article's gold, by title (the file name)."""
    articles = {article.pk: article for article in Article.objects.filter(project=project)}
    layers = {layer.pk: layer for layer in Layer.objects.filter(article__project=project, annotator__isnull=True)}
    labels = {label.pk: label.name for label in project.labels.all()}
    types = {kind.pk: kind.name for kind in project.relation_types.all()}
    found = {}
    for layer_id, content in read(list(layers)).items():
        article = articles[layers[layer_id].article_id]
        index = {unit.id: number for number, unit in enumerate(content.units)}
        found[article.title] = Essay(
            article.title,
            article.text,
            [(labels[unit.label_id], unit.spans[0]) for unit in content.units],
            [(index[r.source_id], index[r.target_id], types[r.type_id]) for r in content.relations],
        )
    return found


def split(essays: dict[str, Essay], seed: int, *, by_topic: bool = False) -> tuple[list[str], list[str]]:
    """80 % of the essays to train on and 20 % to test on, shuffled with `seed`; with
    `by_topic`, whole topics (an essay's first line, its question) go to one side, so
    the test essays' topics were never seen in training."""
    groups: dict[str, list[str]] = {}
    for name in sorted(essays):
        key = essays[name].text.split("\n", 1)[0] if by_topic else name
        groups.setdefault(key, []).append(name)
    keys = sorted(groups)
    random.Random(seed).shuffle(keys)
    train: list[str] = []
    for key in keys:
        if len(train) + len(groups[key]) > round(len(essays) * 0.8):
            break
        train += groups[key]
    return train, [name for key in keys for name in groups[key] if name not in set(train)]


def folder_of(names: list[str], source: Path) -> Path:
    """A brat folder holding only the essays `names` (links to the files of `source`)."""
    folder = Path(tempfile.mkdtemp(prefix="part-"))
    (folder / "annotation.conf").symlink_to(source / "annotation.conf")
    for name in names:
        for suffix in (".txt", ".ann"):
            (folder / f"{name}{suffix}").symlink_to(source / f"{name}{suffix}")
    return folder


# --- Scores -------------------------------------------------------------------------------


@dataclass
class Scores:
    exact: float
    overlap: float
    relations: float


def scored(predicted: list[Essay], gold: list[Essay]) -> Scores:
    """F1 over all the essays' units and relations at once: each essay's `span_f1` and
    `relation_f1` (the agreement measures) weighted by its count of units (relations)
    on both sides, which is the F1 of the matches summed."""
    totals = {"exact": [0.0, 0], "overlap": [0.0, 0], "relations": [0.0, 0]}
    for guess, truth in zip(predicted, gold, strict=True):
        weight = len(guess.units) + len(truth.units)
        for criterion in ("exact", "overlap"):
            value = span_f1(guess.units, truth.units, criterion=criterion)
            totals[criterion][0] += (value or 0.0) * weight
            totals[criterion][1] += weight
        linked = len(guess.relations) + len(truth.relations)
        value = relation_f1(
            units_a=guess.units, relations_a=guess.relations, units_b=truth.units, relations_b=truth.relations
        )
        totals["relations"][0] += (value or 0.0) * linked
        totals["relations"][1] += linked
    return Scores(*(round(total / count, 3) if count else 0.0 for total, count in totals.values()))


def from_markers(essay: Essay, project: Project) -> Essay:
    from annotate import suggestions

    hints, links = marker_hints.hints(essay.text, marker_hints.markers_of(None))
    units = []
    index = {}
    for hint in hints:
        label = suggestions.label_for(project, hint.role)
        index[hint.span] = len(units)
        units.append((label.name, hint.span))
    relations = [
        (index[link.source], index[link.target], suggestions.relation_type_for(project, link.kind).name)
        for link in links
    ]
    return Essay(essay.name, essay.text, units, relations)


def from_model(essay: Essay, model, project: Project) -> Essay:
    predicted = learning.predict(model, essay.text, project)
    units = [(label.name, span) for label, span, _ in predicted.units]
    index = {span: number for number, (_, span) in enumerate(units)}
    relations = [
        (index[source], index[target], kind.name)
        for kind, source, target, _ in predicted.relations
        if source in index and target in index
    ]
    return Essay(essay.name, essay.text, units, relations)


# --- Quality and the learning curve -----------------------------------------------------


def learning_curve(source: Path, manager: User, essays: dict[str, Essay], seed: int, *, by_topic: bool):
    """The markers' and the model's scores on the test essays, the model trained on
    growing parts of the training essays; the last model, its project and the test essays."""
    train, test = split(essays, seed, by_topic=by_topic)
    tested = [essays[name] for name in test]
    kind = "by topic" if by_topic else "by essay"
    print(f"\nsplit {kind}: training {len(train)} essays, test {len(test)}")
    project_for_markers = Project.objects.get(slug="corpus")
    markers = scored([from_markers(essay, project_for_markers) for essay in tested], tested)
    print(
        f"markers                span F1 exact {markers.exact:.3f} overlap {markers.overlap:.3f} "
        f"relation F1 {markers.relations:.3f}"
    )
    model = project = None
    for fraction in FRACTIONS:
        # (at least as many as a model needs: ANNOTATE_SUGGESTION_MIN_ARTICLES)
        names = train[: max(settings.ANNOTATE_SUGGESTION_MIN_ARTICLES, round(len(train) * fraction))]
        project = new_project(f"train-{'topic' if by_topic else 'essay'}-{round(fraction * 100)}", manager)
        import_gold(project, folder_of(names, source))
        model = train_apart(project)
        seconds = model.seconds
        require(model.status == model.Status.READY, f"training on {len(names)} essays: {model.message}")
        scores = scored([from_model(essay, model, project) for essay in tested], tested)
        print(
            f"model {fraction:4.0%} ({len(names):3} essays) span F1 exact {scores.exact:.3f} overlap "
            f"{scores.overlap:.3f} relation F1 {scores.relations:.3f} | own held-out: exact "
            f"{model.span_f1_exact:.3f}, relations on gold units {model.relation_f1:.3f} | "
            f"trained in {seconds:.1f} s, peak {model.peak_bytes / 2**20:.0f} MiB"
        )
    return model, project, tested


def train_apart(project: Project) -> SuggestionModel:
    """Train the project's model in a process of its own, as a worker would: its
    training time and peak resident memory (the version's `seconds` and `peak_bytes`,
    which `learning.train` records) are then those of a fresh process, not of this one."""
    url = urlsplit(os.environ["DATABASE_URL"])
    database = url._replace(path="/" + connection.settings_dict["NAME"]).geturl()
    code = (
        "import sys; sys.path.insert(0, 'scripts'); from _bench import setup_django; setup_django(); "
        "from annotate.models import Project; from annotate.suggestions import learning; "
        f"learning.train(Project.objects.get(pk={project.pk}))"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, env={**os.environ, "DATABASE_URL": database})
    return SuggestionModel.objects.filter(project=project).order_by("-version").first()


# --- Latency ------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def latency(project: Project, manager: User, tested: list[Essay], requests: int) -> None:
    """Server time of opening a layer in the workspace, three ways, in interleaved
    rounds: the test essays (new articles of the model's project), and one long article
    made of them (about 20,000 characters). Each round opens a layer never opened
    before (a new annotator's: as a layer is first opened, with no suggestions deleted
    before it), with suggestions off, then on (made), then on again (read)."""
    texts = {essay.name: essay.text for essay in tested}
    texts["long"] = "\n\n".join(essay.text for essay in tested)[:20_000].rsplit("\n\n", 1)[0]
    articles = {
        name: projects.add_article(project=project, record=ArticleRecord(title=f"open {name}", text=text), user=None)[0]
        for name, text in texts.items()
    }
    client = Client()
    readers = iter(range(10**6))

    def new_layer(name: str) -> Layer:
        reader = User.objects.create(username=f"reader-{next(readers)}")
        projects.set_member(project=project, user=reader, role=Role.ANNOTATOR, by=manager)
        projects.assign(article=articles[name], annotators=[reader], by=manager)
        client.force_login(reader)
        return Layer.objects.get(article=articles[name], annotator=reader)

    def timed_get(url: str, **headers) -> tuple[float, str]:
        started = time.perf_counter()
        answer = client.get(url, headers=headers)
        elapsed = time.perf_counter() - started
        require(answer.status_code == 200, f"{url} answered {answer.status_code}")
        return elapsed * 1000, answer.content.decode()

    def timed(name: str, timings: dict) -> None:
        layer = new_layer(name)
        page = reverse("annotate:layer_detail", args=[project.slug, layer.pk])
        Project.objects.filter(pk=project.pk).update(suggestions=False)
        timings["off"].append(timed_get(page)[0])
        Project.objects.filter(pk=project.pk).update(suggestions=True)
        elapsed, content = timed_get(page)
        timings["first"].append(elapsed)
        # The page asks for the model's suggestions as soon as it is shown.
        asks = ASKS.findall(content)
        require(len(asks) == 1, f"the first opening asked for its suggestions {len(asks)} times")
        timings["ghosts"].append(timed_get(html.unescape(asks[0]), **{"HX-Request": "true"})[0])
        timings["read"].append(timed_get(page)[0])
        layers[name] = layer

    layers: dict[str, Layer] = {}
    essays = [name for name in texts if name != "long"]
    kinds = ("off", "first", "ghosts", "read")
    found = {kind: {name: [] for name in kinds} for kind in ("essay", "long")}
    for name in essays[:3] + ["long"]:  # warm up
        timed(name, {name: [] for name in kinds})
    for round_number in range(requests):
        timed(essays[round_number % len(essays)], found["essay"])
        timed("long", found["long"])
    suggested = Suggestion.objects.filter(layer=layers["long"]).count()
    print(f"\nopening an article in the workspace, {requests} requests of each kind (server time, ms):")
    for kind, timings in found.items():
        size = (
            len(texts["long"])
            if kind == "long"
            else round(statistics.mean(len(texts[n]) for n in texts if n != "long"))
        )
        print(f"  {kind} ({size:,} characters)" + (f", {suggested} suggestions" if kind == "long" else ""))
        for name, values in timings.items():
            print(
                f"    {name:6} p50 {statistics.median(values):6.1f}  p95 {percentile(values, 0.95):6.1f}  "
                f"p99 {percentile(values, 0.99):6.1f}"
            )
        for name in ("first", "read"):
            added = [on - off for on, off in zip(timings[name], timings["off"], strict=True)]
            print(f"    added, {name}: p50 {statistics.median(added):.1f}  p95 {percentile(added, 0.95):.1f}")
        drawn = [first + ghosts for first, ghosts in zip(timings["first"], timings["ghosts"], strict=True)]
        p50, p95 = statistics.median(drawn), percentile(drawn, 0.95)
        print(f"    first opening and its ghosts' request together: p50 {p50:.1f}  p95 {p95:.1f}")


# --- Anchoring ----------------------------------------------------------------------------


def annotate_like(truth: Essay, offered: Essay, rng: random.Random, *, anchored: float = 0.8) -> list:
    """A simulated annotator's units on `truth`'s text. They mean to mark each gold
    unit, but miss one in ten, move a boundary of one in four by a few characters and
    give one in ten the other label. Offered suggestions, they accept one that overlaps
    a unit they mean to mark as it is (its boundaries and label for theirs) with chance
    `anchored`, and one that overlaps nothing they mean with chance 1 - `anchored`; the
    units they mean and did not take from a suggestion they mark as they would have.
    The chances are assumptions, not measurements of people: docs/suggestions.md."""
    meant = []
    for label, (start, end) in truth.units:
        if rng.random() < 0.1:
            continue
        if rng.random() < 0.25:
            start = min(max(0, start + rng.choice((-6, -3, 3, 6))), len(truth.text) - 1)
            end = min(max(start + 1, end + rng.choice((-6, -3, 3, 6))), len(truth.text))
        if rng.random() < 0.1:
            label = {"Claim": "Premise", "Premise": "Claim"}.get(label, label)
        meant.append((label, (start, end)))
    taken, used = [], set()
    for label, span in offered.units:
        covering = [i for i, (_, mine) in enumerate(meant) if mine[0] < span[1] and span[0] < mine[1]]
        if covering and rng.random() < anchored:
            taken.append((label, span))
            used.update(covering)
        elif not covering and rng.random() < 1 - anchored:
            taken.append((label, span))
    return sorted(taken + [unit for i, unit in enumerate(meant) if i not in used], key=lambda u: u[1])


def alpha(text_length: int, first: list, second: list) -> float | None:
    stretches = [(s, e - s, who, label) for who, units in ((0, first), (1, second)) for label, (s, e) in units]
    result = krippendorff_unitizing_alpha(
        stretches, continuum_length=text_length, annotator_count=2, merge_overlaps=True
    )
    return result.overall.alpha


def anchoring(tested: list[Essay], model, project: Project, seed: int) -> None:
    rng = random.Random(seed)
    rows = {"unassisted": [], "assisted": []}
    for essay in tested:
        offered = from_model(essay, model, project)
        nothing = Essay(essay.name, essay.text, [], [])
        for name, given in (("unassisted", nothing), ("assisted", offered)):
            first, second = annotate_like(essay, given, rng), annotate_like(essay, given, rng)
            rows[name].append(
                (
                    alpha(len(essay.text), first, second),
                    span_f1(first, second, criterion="exact"),
                    (span_f1(first, essay.units, criterion="exact") + span_f1(second, essay.units, criterion="exact"))
                    / 2,
                )
            )
    print("anchoring (simulated annotators, mean over the test essays):")
    for name, values in rows.items():
        alphas = [value[0] for value in values if value[0] is not None]
        print(
            f"  {name:10} alpha_U between the two {statistics.mean(alphas):.3f}; span F1 between the two "
            f"{statistics.mean(v[1] for v in values):.3f}; "
            f"span F1 with gold {statistics.mean(v[2] for v in values):.3f}"
        )


def run(args) -> None:
    print(f"code {code_version()}")
    manager = User.objects.create_user("bench-manager", password="x")
    source = corpus_folder(args.corpus, args.seed)
    whole = new_project("corpus", manager)
    import_gold(whole, source)
    essays = essays_of(whole)
    print(f"corpus: {len(essays)} essays")
    learning_curve(source, manager, essays, args.seed, by_topic=True)
    model, project, tested = learning_curve(source, manager, essays, args.seed, by_topic=False)
    latency(project, manager, tested, args.requests)
    anchoring(tested, model, project, args.seed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", help="a brat corpus folder (default: generate 120 essays)")
    parser.add_argument("--requests", type=int, default=200, help="timed openings of each kind (default 200)")
    parser.add_argument("--seed", type=int, default=1, help="the split's (and the generated corpus's) seed")
    args = parser.parse_args()
    in_a_throwaway_database(lambda: run(args), name="test_annotate_bench_suggestions")


if __name__ == "__main__":
    main()
