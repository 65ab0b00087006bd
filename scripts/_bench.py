"""What the benchmark scripts share: the words their generated op-ed prose is made of
(and the sentences, texts and clause ranges made of them), an assertion that `python -O`
keeps, and the name of the code measured."""

import random
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SUBJECTS = [
    "the city council",
    "most residents",
    "local shopkeepers",
    "the transport authority",
    "cyclists",
    "older voters",
    "the mayor",
    "parents of young children",
    "delivery firms",
    "urban planners",
    "critics of the scheme",
    "the regional government",
    "commuters from the suburbs",
    "public health experts",
]
VERBS = [
    "argue that",
    "have long claimed that",
    "now accept that",
    "rarely admit that",
    "point out that",
    "fear that",
    "insist that",
    "have shown that",
    "doubt that",
    "keep saying that",
]
CLAUSES = [
    "fewer cars would make the centre safer",
    "bus lanes cut journey times for everyone",
    "parking fees fall hardest on the poor",
    "trade on calm streets tends to rise",
    "the old ring road no longer serves anyone",
    "clean air is worth a longer walk",
    "the budget cannot carry another tunnel",
    "children should be able to walk to school alone",
    "night buses are the cheapest crime policy we have",
    "a congestion charge raises money and lowers traffic",
    "the evidence from other cities is mixed",
    "small shops depend on passing trade",
    "noise is a health problem and not a nuisance",
    "wider pavements help those who cannot drive",
]


OPENERS = ["In truth", "For years", "Above all", "Even so", "Put simply", "In practice", "Meanwhile", "Worse still"]
TAILS = ["", "", ", and the figures bear this out", ", whatever the polls suggest", ", at least in the short run"]
WORD = re.compile(r"\w+(?:['-]\w+)*")
SENTENCES = 30


def sentence(rng: random.Random) -> str:
    body = f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(CLAUSES)}{rng.choice(TAILS)}"
    if rng.random() < 0.3:
        body = f"{rng.choice(OPENERS)}, {body}"
    return body[0].upper() + body[1:] + "."


def make_text(rng: random.Random, count: int = SENTENCES) -> tuple[str, list[tuple[int, int]]]:
    """`count` sentences in paragraphs of 3 to 6; the text and every sentence's `[start, end)`."""
    text, spans, left = "", [], count
    while left:
        count = min(left, rng.randint(3, 6))
        if text:
            text += "\n\n"
        for index in range(count):
            item = sentence(rng)
            if index:
                text += " "
            spans.append((len(text), len(text) + len(item)))
            text += item
        left -= count
    require(text.isascii(), "text not ASCII")  # so code points and UTF-16 code units agree
    return text, spans


def clause_ranges(text: str, sentences: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Each sentence's two halves (whole words), in text order: the units a person marks,
    clause by clause, reading from the top (a sentence of fewer than four words whole)."""
    ranges = []
    for start, end in sentences:
        words = [match.span() for match in WORD.finditer(text, start, end)]
        if len(words) < 4:
            ranges.append((words[0][0], words[-1][1]))
            continue
        middle = len(words) // 2
        ranges += [(words[0][0], words[middle - 1][1]), (words[middle][0], words[-1][1])]
    return ranges


# The environment of an app server a benchmark starts on loopback: production settings
# (DEBUG off), but plain HTTP on 127.0.0.1 and static files as they are in the tree.
PLAIN_HTTP_PRODUCTION = {
    "DEBUG": "0",
    "ALLOWED_HOSTS": "127.0.0.1",
    "SECURE_SSL_REDIRECT": "0",
    "SESSION_COOKIE_SECURE": "0",
    "CSRF_COOKIE_SECURE": "0",
    "STATIC_MANIFEST": "0",
}


# The environment of a benchmark that times requests in its own process: DEBUG off, no
# HTTPS redirect, static files as they are in the tree.
IN_PROCESS = {"DEBUG": "0", "SECURE_SSL_REDIRECT": "0", "STATIC_MANIFEST": "0"}


def setup_django(environment: dict[str, str] = IN_PROCESS) -> None:
    """Set Django up with the app's settings under `environment`."""
    import os
    import warnings

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "annotate.settings")
    os.environ.update(environment)
    # WhiteNoise warns that STATIC_ROOT was never collected; static files are not timed.
    warnings.filterwarnings("ignore", message="No directory at")
    import django

    django.setup()


def require(condition: bool, message: str) -> None:
    """An assertion that `python -O` keeps."""
    if not condition:
        raise AssertionError(message)


def code_version() -> str:
    """The commit measured, and whether the working tree had changes on top of it."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return f"{commit}{' with uncommitted changes' if dirty else ''}"
