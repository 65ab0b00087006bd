"""The generated essay corpus (scripts/make_essay_corpus.py), the test bed of suggestions.

The corpus is read by a brat reader written here from brat's standoff definition
(https://brat.nlplab.org/standoff.html), not by ours, then imported through the
`import_articles` command as gold, and compared with what the files hold.
"""

import re
import subprocess
import sys
import unicodedata
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.core.management import call_command

from annotate.models import Article, Layer, Relation, Span

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "make_essay_corpus.py"

# The figures of the default corpus (--seed 1, 120 essays), as docs/suggestions.md gives them.
STATISTICS = (
    "essays: 120; words: 41085 (251–480, mean 342); paragraphs: 4–7\n"
    "units: MajorClaim 240, Claim 545 (For 459, Against 86), Premise 1289; distinct unit texts: 1876\n"
    "relations: supports 1109, attacks 180\n"
    "premises with a marker: 869 of 1289 (67.4 %)\n"
)
LABELS = {"MajorClaim": 240, "Claim": 545, "Premise": 1289}
STANCES = {"For": 459, "Against": 86}
RELATION_TYPES = {"supports": 1109, "attacks": 180}
# Words a unit must not start with: the annotators leave the marker outside the span.
MARKER_START = re.compile(
    r"(because|since|as|therefore|thus|hence|however|although|admittedly|moreover|furthermore|so|but|yet|still"
    r"|in fact|for example|for instance|as a result|consequently|in conclusion|I believe that)\b",
    re.IGNORECASE,
)


@dataclass
class Document:
    """One .ann over its .txt: units by id (label, [(start, end)], quoted text), attributes, relations."""

    text: str
    units: dict[str, tuple[str, list[tuple[int, int]], str]] = field(default_factory=dict)
    attributes: dict[str, dict[str, str]] = field(default_factory=dict)
    relations: list[tuple[str, str, str]] = field(default_factory=list)


def read_standoff(ann: str, text: str) -> Document:
    """A minimal brat reader: T lines `ID<TAB>TYPE START END[;START END]*<TAB>TEXT`, A lines
    `ID<TAB>NAME TARGET [VALUE]`, R lines `ID<TAB>TYPE Arg1:ID Arg2:ID`; nothing else here."""
    document = Document(text)
    for line in ann.split("\n"):
        if not line:
            continue
        identifier, rest = line.split("\t", 1)
        if identifier.startswith("T"):
            annotation, quoted = rest.split("\t")
            label, offsets = annotation.split(" ", 1)
            fragments = [tuple(int(n) for n in piece.split(" ")) for piece in offsets.split(";")]
            document.units[identifier] = (label, fragments, quoted)
        elif identifier.startswith("A"):
            name, target, value = rest.split(" ")
            document.attributes.setdefault(target, {})[name] = value
        elif identifier.startswith("R"):
            kind, source, target = rest.split(" ")
            document.relations.append((kind, source.removeprefix("Arg1:"), target.removeprefix("Arg2:")))
        else:
            raise AssertionError(f"unexpected line {line!r}")
    return document


def generate(out: Path, *options: str) -> str:
    """Run the script as a person does; what it prints."""
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--out", str(out), *options], capture_output=True, text=True, check=True
    )
    return result.stdout


def read_corpus(root: Path) -> dict[str, Document]:
    documents = {}
    for ann in sorted(root.glob("*.ann")):
        text = ann.with_suffix(".txt").read_bytes().decode("utf-8")
        documents[ann.stem] = read_standoff(ann.read_bytes().decode("utf-8"), text)
    return documents


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> tuple[Path, str, dict[str, Document]]:
    root = tmp_path_factory.mktemp("essays")
    printed = generate(root)
    return root, printed, read_corpus(root)


def paragraph_of(text: str, offset: int) -> int:
    """The paragraph an offset is in: 0 the introduction (the title's two lines before it)."""
    return text.count("\n", 0, offset) - 2


def is_marked(document: Document, start: int) -> bool:
    """Whether words stand between a unit and the clause before it (the sentence's start,
    the unit before it, or a comma), as "because", "For example," or "Some people argue that" do."""
    text = document.text
    ends = [end for _, fragments, _ in document.units.values() for _, end in fragments if end <= start]
    boundary = max(
        text.rfind(". ", 0, start) + 2, text.rfind("\n", 0, start) + 1, text.rfind(", ", 0, start - 2) + 2, *ends
    )
    return bool(text[boundary:start].strip(" ,"))


def test_the_corpus_reads_as_brat_standoff_and_every_annotation_quotes_its_text(corpus):
    root, _, documents = corpus

    assert sorted(path.name for path in root.iterdir())[:3] == ["annotation.conf", "essay001.ann", "essay001.txt"]
    assert len(documents) == 120
    for name, document in documents.items():
        text = document.text
        assert (unicodedata.is_normalized("NFC", text), "\r" in text) == (True, False), name
        assert not (root / f"{name}.ann").read_bytes().count(b"\r"), name
        for unit_id, (_, fragments, quoted) in document.units.items():
            assert all(0 <= start < end <= len(text) for start, end in fragments), (name, unit_id)
            assert quoted == " ".join(text[start:end] for start, end in fragments), (name, unit_id)
        assert set(document.attributes) <= set(document.units), name
        assert {unit for _, source, target in document.relations for unit in (source, target)} <= set(document.units)


def test_the_corpus_statistics_are_those_of_its_seed(corpus):
    _, printed, documents = corpus
    units = [unit for document in documents.values() for unit in document.units.values()]
    stances = [value for document in documents.values() for value in document.attributes.values()]
    relations = [kind for document in documents.values() for kind, _, _ in document.relations]
    premises = [
        (document, fragments[0][0])
        for document in documents.values()
        for label, fragments, _ in document.units.values()
        if label == "Premise"
    ]

    assert printed == STATISTICS
    assert Counter(label for label, _, _ in units) == LABELS
    assert Counter(attributes["Stance"] for attributes in stances) == STANCES
    assert Counter(relations) == RELATION_TYPES
    assert sum(is_marked(document, start) for document, start in premises) == 869
    assert len({quoted for _, _, quoted in units}) == 1876


def test_each_essay_has_the_structure_of_an_argumentative_essay(corpus):
    _, _, documents = corpus
    for name, document in documents.items():
        text = document.text
        paragraphs = text.split("\n")[2:-1]
        assert (250 <= len(text.split()) <= 600, 4 <= len(paragraphs) <= 7) == (True, True), name
        where = {unit_id: paragraph_of(text, fragments[0][0]) for unit_id, (_, fragments, _) in document.units.items()}
        labels = {unit_id: label for unit_id, (label, _, _) in document.units.items()}
        last = len(paragraphs) - 1
        # A major claim in the introduction, restated in the conclusion; no other claim in the introduction.
        assert sorted(where[u] for u in labels if labels[u] == "MajorClaim") == [0, last], name
        assert [labels[u] for u in labels if where[u] == 0] == ["MajorClaim"], name
        # Each body paragraph: one claim with a stance, and 1–4 premises.
        for number in range(1, last):
            inside = Counter(labels[u] for u in labels if where[u] == number)
            assert (inside["Claim"], 1 <= inside["Premise"] <= 4, inside["MajorClaim"]) == (1, True, 0), (name, number)
        assert {u for u in labels if labels[u] == "Claim"} == set(document.attributes), name
        # Every premise is the source of one relation, to a claim or a premise of its paragraph.
        sources = Counter(source for _, source, _ in document.relations)
        assert sources == {u: 1 for u in labels if labels[u] == "Premise"}, name
        for _, source, target in document.relations:
            assert (labels[target] in ("Claim", "Premise"), where[target]) == (True, where[source]), name


def test_units_are_clauses_without_their_markers_and_some_text_is_not_annotated(corpus):
    _, _, documents = corpus
    unannotated = Counter()
    for name, document in documents.items():
        text = document.text
        covered = set()
        for _, fragments, quoted in document.units.values():
            assert (len(fragments), "\n" in quoted, quoted.endswith(".")) == (1, False, False), (name, quoted)
            assert not MARKER_START.match(quoted), (name, quoted)
            covered.update(range(*fragments[0]))
        sentences = re.finditer(r"[^.\n?]+[.?]", text)
        outside = [m.group().strip() for m in sentences if not covered & set(range(m.start(), m.end()))]
        assert len(outside) >= 2, name  # the title and at least one sentence of background or anecdote
        unannotated.update(sentence.split(" ")[0].strip(",") for sentence in outside[1:])

    # Markers' words in text nobody annotates: "Since 2010, …", "However much …", "As a child, …", "Thus far, …".
    assert (unannotated["Since"], unannotated["However"], unannotated["As"], unannotated["Thus"]) == (59, 50, 109, 59)


def test_the_same_seed_writes_the_same_bytes_and_another_seed_another_corpus(tmp_path):
    generate(tmp_path / "first.zip", "--seed", "7")
    generate(tmp_path / "again.zip", "--seed", "7")
    generate(tmp_path / "other.zip", "--seed", "8")
    generate(tmp_path / "directory", "--seed", "7")

    assert (tmp_path / "first.zip").read_bytes() == (tmp_path / "again.zip").read_bytes()
    assert (tmp_path / "first.zip").read_bytes() != (tmp_path / "other.zip").read_bytes()
    with zipfile.ZipFile(tmp_path / "first.zip") as archive:
        zipped = {name: archive.read(name) for name in archive.namelist()}
    written = {path.name: path.read_bytes() for path in (tmp_path / "directory").iterdir()}
    assert zipped == written


@pytest.mark.django_db
def test_the_corpus_imports_as_gold_with_exactly_the_units_and_relations_of_its_files(corpus, project, capsys):
    root, _, documents = corpus

    call_command("import_articles", str(root), project=project.slug, owner="gold")

    assert capsys.readouterr().out == (
        "Imported: 120 new articles, 0 already there, 120 layers, 2074 units, 1289 relations.\n"
    )
    layers = Layer.objects.filter(article__project=project)
    assert (layers.count(), layers.gold().count()) == (120, 120)
    assert sorted(Article.objects.filter(project=project).values_list("title", flat=True)) == sorted(documents)
    spans = Span.objects.filter(unit__layer__article__project=project, unit__layer__annotator__isnull=True)
    stored_units = Counter(
        (title, label, start, end, attributes.get("stance", ""))
        for title, label, start, end, attributes in spans.values_list(
            "unit__layer__article__title", "unit__label__name", "start", "end", "unit__attributes"
        )
    )
    stored_relations = Counter(
        Relation.objects.filter(layer__article__project=project, layer__annotator__isnull=True).values_list(
            "layer__article__title", "type__name", "source__spans__start", "target__spans__start"
        )
    )
    file_units = Counter(
        (name, label, fragments[0][0], fragments[0][1], document.attributes.get(unit_id, {}).get("Stance", ""))
        for name, document in documents.items()
        for unit_id, (label, fragments, _) in document.units.items()
    )
    file_relations = Counter(
        (name, kind, document.units[source][1][0][0], document.units[target][1][0][0])
        for name, document in documents.items()
        for kind, source, target in document.relations
    )
    assert stored_units == file_units
    assert stored_relations == file_relations
    assert Counter(label for _, label, _, _, _ in stored_units.elements()) == LABELS
    assert Counter(kind for _, kind, _, _ in stored_relations.elements()) == RELATION_TYPES
