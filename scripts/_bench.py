"""What the benchmark scripts share: the words their generated op-ed prose is made of,
an assertion that `python -O` keeps, and the name of the code measured."""

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
