"""Generate a synthetic corpus of argumentative essays, annotated in brat standoff.

The annotation follows the Argument Annotated Essays (Stab & Gurevych 2017), the "aae"
preset: a MajorClaim in the introduction and again in the conclusion; in each body
paragraph a Claim whose Stance (For or Against) says how it bears on the major claim,
and 1–4 Premises linked by `supports` or `attacks` to the Claim or to another Premise.
Background and anecdote sentences are not annotated. Units are clauses, and the
discourse marker before one ("because", "therefore", "however", "some people argue
that") lies outside its span, as the AAE annotators drew them; so does the final stop.

Markers are informative but not a give-away: about two premises in three carry one,
attacks are marked by "however", "although", "admittedly" or by nothing, and the
unannotated sentences use the same words ("since 2010", "however much", "as a child").

Each of the 34 topics has its own vocabulary (who acts, what they would do, its
benefits and harms, the groups it touches); claims and premises are composed from
templates over it, with places, organisations and figures drawn at random, so a
sentence rarely repeats. The topics, templates and markers are in essay_phrases.txt,
beside this script. The same --seed writes the same bytes.

    .venv/bin/python scripts/make_essay_corpus.py --out corpus/ [--essays 120] [--seed 1]
    .venv/bin/python scripts/make_essay_corpus.py --out corpus.zip
    .venv/bin/python manage.py import_articles --project SLUG --owner gold corpus/

The files: annotation.conf, and essayNNN.txt with essayNNN.ann for each essay, at the
top level (the import reads a top-level layer as gold); UTF-8, NFC, LF line ends,
offsets in code points. The statistics are printed on standard output.
"""

import argparse
import random
import unicodedata
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

PHRASES = Path(__file__).with_name("essay_phrases.txt")


def read_banks(path: Path = PHRASES) -> dict[str, list[str]]:
    """The phrase banks: each [section] of the file, its lines ("-" is the empty string)."""
    banks: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").split("\n"):
        if line.startswith("["):
            entries = banks.setdefault(line.strip("[]"), [])
        elif line and not line.startswith("#"):
            entries.append("" if line == "-" else line)
    return banks


BANK = read_banks()

ANNOTATION_CONF = """[entities]
MajorClaim
Claim
Premise

[relations]
supports\tArg1:Premise, Arg2:Claim|Premise
attacks\tArg1:Premise, Arg2:Claim|Premise

[events]

[attributes]
Stance\tArg:Claim, Value:For|Against
"""


@dataclass
class Topic:
    actor: str
    inf: str  # "ban cars from their centres"
    ger: str  # "banning cars from their centres"
    groups: list[str]
    benefits: list[str]
    harms: list[str]


def read_topics() -> list[Topic]:
    lines = BANK["topics"]
    topics = []
    for head, good, bad in zip(lines[0::3], lines[1::3], lines[2::3], strict=True):
        actor, verbs, groups = (part.strip() for part in head.split("|"))
        (verb, gerund), rest = verbs.split(" ", 1)[0].split("/"), verbs.split(" ", 1)[1]
        topics.append(
            Topic(
                actor,
                f"{verb} {rest}",
                f"{gerund} {rest}",
                groups.split("; "),
                good.removeprefix("+ ").split("; "),
                bad.removeprefix("- ").split("; "),
            )
        )
    return topics


@dataclass
class Essay:
    """The text written so far, and its units (label, start, end, stance, marked) and
    relations (type, source, target: indexes of units)."""

    text: str = ""
    units: list[tuple[str, int, int, str, bool]] = field(default_factory=list)
    relations: list[tuple[str, int, int]] = field(default_factory=list)
    capital: bool = True

    def plain(self, words: str) -> None:
        if self.capital:
            words, self.capital = words[:1].upper() + words[1:], False
        self.text += words

    def unit(self, label: str, words: str, *, marker: str = "", stance: str = "") -> int:
        """Write `marker` (outside the unit) and the unit; the unit's index."""
        if marker:
            self.plain(marker + " ")
        start = len(self.text)
        self.plain(words)
        self.units.append((label, start, len(self.text), stance, bool(marker)))
        return len(self.units) - 1

    def stop(self) -> None:
        self.text += ". "
        self.capital = True

    def paragraph(self) -> None:
        self.text = self.text.rstrip(" ") + "\n"
        self.capital = True


class Writer:
    """Composes one essay on `topic` from the templates, drawing from `rng`."""

    def __init__(self, rng: random.Random, topic: Topic, *, pro: bool):
        self.rng, self.topic, self.pro = rng, topic, pro
        self.own, self.other = (topic.benefits, topic.harms) if pro else (topic.harms, topic.benefits)
        self.essay = Essay()
        self.used: set[str] = set()  # templates used in this essay, not used again while others are left

    def fill(self, templates: list[str], **given: str) -> str:
        rng, topic = self.rng, self.topic
        slots = dict(
            actor=topic.actor,
            inf=topic.inf,
            ger=topic.ger,
            group=rng.choice(topic.groups),
            place=rng.choice(BANK["places"]),
            org=rng.choice(BANK["orgs"]),
            n=rng.choice(BANK["small"]),
            year=rng.randint(2004, 2022),
            pct=rng.randint(38, 86),
            num=f"{rng.randrange(200, 5000, 10):,}",
            season=rng.choice(BANK["seasons"]),
            relative=rng.choice(BANK["relatives"]),
        )
        template = rng.choice([template for template in templates if template not in self.used] or templates)
        self.used.add(template)
        return template.format(**slots | given)

    def aside(self, templates: list[str]) -> None:
        self.essay.plain(self.fill(templates))
        self.essay.stop()

    def claim_words(self, *, pro: bool, point: str) -> str:
        other = self.rng.choice(self.topic.harms if pro else self.topic.benefits)
        if pro:
            return self.fill(BANK["pro_claims"], benefit=point, harm=other)
        return self.fill(BANK["con_claims"], harm=point, benefit=other)

    def reason(self, point: str, *, good: bool) -> str:
        words = self.fill(BANK["evidence"] + (BANK["good_reasons"] if good else BANK["bad_reasons"]), point=point)
        return f"{words}, {self.fill(BANK['tails'])}" if self.rng.random() < 0.5 else words

    def marker(self, markers: list[str], chance: float) -> str:
        return self.rng.choice(markers) if self.rng.random() < chance else ""

    def write(self, body_paragraphs: int) -> Essay:
        rng, essay = self.rng, self.essay
        essay.text = f"Should {self.topic.actor} {self.topic.inf}?\n\n"
        for _ in range(rng.randint(2, 4)):
            self.aside(BANK["background"] + BANK["anecdotes"])
        major = rng.sample(BANK["mc_pro"] if self.pro else BANK["mc_con"], 2)
        essay.unit("MajorClaim", self.fill(major[:1]), marker=rng.choice(BANK["mc_leads"]))
        essay.stop()
        essay.paragraph()
        points = rng.sample(self.own, len(self.own)) * 2
        against = rng.randrange(body_paragraphs) if rng.random() < 0.7 else None
        for number in range(body_paragraphs):
            if rng.random() < 0.5:
                self.aside(BANK["anecdotes"] + BANK["background"])
            if number == against:
                self.opposing_view(rng.choice(self.other), points[number])
            else:
                self.own_view(points[number])
            essay.paragraph()
        essay.unit("MajorClaim", self.fill(major[1:]), marker=rng.choice(BANK["conclusion_leads"]))
        if rng.random() < 0.4:
            essay.plain(", ")
            essay.unit(
                "Claim",
                self.claim_words(pro=self.pro, point=rng.choice(self.own)),
                marker=rng.choice(BANK["inline"]),
                stance="For",
            )
        essay.stop()
        if rng.random() < 0.4:
            self.aside(BANK["closings"])
        essay.paragraph()
        return essay

    def own_view(self, point: str) -> None:
        """A Claim For the major claim about `point`, with 1–4 premises: supporting it
        or one another, and maybe a concession (attacking it) and its rebuttal."""
        rng, essay = self.rng, self.essay
        count = rng.choice([1, 2, 2, 3, 3, 4, 4])
        concession = count >= 2 and rng.random() < 0.15
        supports = count - 2 if concession else count
        claim_words = self.claim_words(pro=self.pro, point=point)
        links = []  # (premise, index of the premise it supports, or None for the claim)
        if rng.random() < 0.7 or supports == 0:
            claim = essay.unit("Claim", claim_words, marker=rng.choice(BANK["claim_openers"]), stance="For")
            if supports and rng.random() < 0.5:
                essay.plain(", ")
                links.append(
                    (essay.unit("Premise", self.reason(point, good=self.pro), marker=rng.choice(BANK["inline"])), None)
                )
            essay.stop()
            self.premises(point, supports - len(links), links)
        else:
            self.premises(point, supports, links)
            claim = essay.unit("Claim", claim_words, marker=rng.choice(BANK["concluders"]), stance="For")
            essay.stop()
        for premise, target in links:
            essay.relations.append(("supports", premise, claim if target is None else target))
        if concession:
            self.concession(claim, point)

    def premises(self, point: str, count: int, links: list[tuple[int, int | None]]) -> None:
        """`count` premise sentences, each for the claim or (a detail) for the premise before."""
        for _ in range(count):
            if links and self.rng.random() < 0.3:
                premise = self.essay.unit(
                    "Premise", self.fill(BANK["details"]), marker=self.marker(BANK["detail_leads"], 0.5)
                )
                links.append((premise, links[-1][0]))
            else:
                words = self.reason(point, good=self.pro)
                links.append((self.essay.unit("Premise", words, marker=self.marker(BANK["leads"], 0.6)), None))
            self.essay.stop()

    def concession(self, claim: int, point: str) -> None:
        """A premise attacking `claim` and one attacking that premise in turn."""
        rng, essay = self.rng, self.essay
        target = rng.choice(self.other)
        conceder = rng.choice(BANK["conceders"])
        conceded = essay.unit("Premise", self.fill(BANK["concessions"], point=target), marker=conceder)
        if conceder == "although":
            essay.plain(", ")
            rebuttal = essay.unit("Premise", self.fill(BANK["rebuttals"], target=target, point=point))
        else:
            essay.stop()
            rebuttal = essay.unit(
                "Premise",
                self.fill(BANK["rebuttals"], target=target, point=point),
                marker=rng.choice(BANK["rebutters"]),
            )
        essay.stop()
        essay.relations += [("attacks", conceded, claim), ("attacks", rebuttal, conceded)]

    def opposing_view(self, point: str, own_point: str) -> None:
        """A Claim Against the major claim about `point`, 0–2 premises for it, and a
        premise attacking it (with, at times, a premise supporting that attack)."""
        rng, essay = self.rng, self.essay
        claim = essay.unit(
            "Claim",
            self.claim_words(pro=not self.pro, point=point),
            marker=rng.choice(BANK["opposers"]),
            stance="Against",
        )
        for number in range(rng.randint(0, 2)):
            if number == 0 and rng.random() < 0.5:
                essay.plain(", ")
                premise = essay.unit(
                    "Premise", self.reason(point, good=not self.pro), marker=rng.choice(BANK["inline"])
                )
            else:
                essay.stop()
                premise = essay.unit(
                    "Premise", self.reason(point, good=not self.pro), marker=self.marker(BANK["leads"], 0.6)
                )
            essay.relations.append(("supports", premise, claim))
        essay.stop()
        rebuttal = essay.unit(
            "Premise",
            self.fill(BANK["rebuttals"], target=point, point=own_point),
            marker=self.marker(BANK["rebutters"][:-1], 0.8),
        )
        essay.relations.append(("attacks", rebuttal, claim))
        if rng.random() < 0.5:
            essay.plain(", ")
            reason = essay.unit("Premise", self.reason(own_point, good=self.pro), marker=rng.choice(BANK["inline"]))
            essay.relations.append(("supports", reason, rebuttal))
        essay.stop()


def make_essays(count: int, seed: int) -> list[Essay]:
    """`count` essays of 250–600 words in 4–7 paragraphs, the topics taken in turn in an order drawn from `seed`."""
    rng = random.Random(seed)
    topics = read_topics()
    rng.shuffle(topics)
    essays = []
    for number in range(count):
        while True:
            writer = Writer(rng, topics[number % len(topics)], pro=rng.random() < 0.7)
            essay = writer.write(body_paragraphs=rng.choice([2, 3, 3, 4, 4, 5, 5]))
            if 250 <= len(essay.text.split()) <= 600:
                break
        essay.text = unicodedata.normalize("NFC", essay.text)  # every phrase is NFC already: no offset moves
        essays.append(essay)
    return essays


def ann_file(essay: Essay) -> str:
    """The essay's units and relations in brat standoff: T lines in text order, then A, then R."""
    lines = [
        f"T{i}\t{label} {start} {end}\t{essay.text[start:end]}"
        for i, (label, start, end, _, _) in enumerate(essay.units, start=1)
    ]
    stances = [(i, unit[3]) for i, unit in enumerate(essay.units, start=1) if unit[3]]
    lines += [f"A{n}\tStance T{i} {stance}" for n, (i, stance) in enumerate(stances, start=1)]
    lines += [
        f"R{n}\t{kind} Arg1:T{source + 1} Arg2:T{target + 1}"
        for n, (kind, source, target) in enumerate(essay.relations, start=1)
    ]
    return "".join(line + "\n" for line in lines)


def corpus_files(essays: list[Essay]) -> dict[str, str]:
    width = max(3, len(str(len(essays))))
    files = {"annotation.conf": ANNOTATION_CONF}
    for number, essay in enumerate(essays, start=1):
        files[f"essay{number:0{width}}.txt"] = essay.text
        files[f"essay{number:0{width}}.ann"] = ann_file(essay)
    return files


def write(files: dict[str, str], out: Path) -> None:
    """Into the directory `out`, or the zip `out` when its name ends in .zip (with fixed dates, so that
    the same files give the same bytes)."""
    if out.suffix == ".zip":
        out.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, content in files.items():
                info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
                info.compress_type, info.external_attr = zipfile.ZIP_DEFLATED, 0o644 << 16
                archive.writestr(info, content.encode("utf-8"))
        return
    out.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (out / name).write_bytes(content.encode("utf-8"))


def statistics(essays: list[Essay]) -> str:
    words = [len(essay.text.split()) for essay in essays]
    paragraphs = [essay.text.count("\n") - 2 for essay in essays]  # less the title's two line breaks
    units = [unit for essay in essays for unit in essay.units]
    labels = Counter(unit[0] for unit in units)
    stances = Counter(unit[3] for unit in units if unit[3])
    relations = Counter(kind for essay in essays for kind, _, _ in essay.relations)
    premises = [unit for unit in units if unit[0] == "Premise"]
    marked = sum(unit[4] for unit in premises)
    texts = {essay.text[start:end] for essay in essays for _, start, end, _, _ in essay.units}
    return (
        f"essays: {len(essays)}; words: {sum(words)} ({min(words)}–{max(words)}, "
        f"mean {sum(words) / len(words):.0f}); paragraphs: {min(paragraphs)}–{max(paragraphs)}\n"
        f"units: MajorClaim {labels['MajorClaim']}, Claim {labels['Claim']} (For {stances['For']}, "
        f"Against {stances['Against']}), Premise {labels['Premise']}; distinct unit texts: {len(texts)}\n"
        f"relations: supports {relations['supports']}, attacks {relations['attacks']}\n"
        f"premises with a marker: {marked} of {len(premises)} ({100 * marked / len(premises):.1f} %)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, type=Path, help="A directory, or a file ending in .zip.")
    parser.add_argument("--essays", type=int, default=120)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    essays = make_essays(args.essays, args.seed)
    write(corpus_files(essays), args.out)
    print(statistics(essays))


if __name__ == "__main__":
    main()
