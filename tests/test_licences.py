"""The project is Apache-2.0 (LICENSE): every run-time dependency must be one it can
ship beside. The dependencies are requirements.txt's pins (compiled from
requirements.in with every transitive one); their licences come from the installed
packages' own metadata (License-Expression, else License, else the trove classifiers).

A strong copyleft licence (GPL, AGPL, LGPL, EUPL, SSPL, OSL) fails the test unless the
package is on ALLOWED with the reason it is fine. Weak, file-level copyleft (MPL) is
fine: it binds only the MPL files themselves, which we use unmodified. An expression
passes when one of its OR choices does (tld offers MPL-1.1)."""

import re
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Copyleft packages the project may still depend on, and why.
ALLOWED = {
    # psycopg is LGPL-3.0: used as a library, unmodified, installed by pip as its own
    # package, which the LGPL allows beside any licence; the psycopg authors say so
    # (https://www.psycopg.org/psycopg3/docs/basic/install.html#license).
    "psycopg": "LGPL-3.0, used as an unmodified library",
    "psycopg-binary": "LGPL-3.0, psycopg's compiled part, as psycopg",
}
COPYLEFT = re.compile(r"\b(A?GPL|LGPL|GNU|General Public|EUPL|SSPL|OSL)\b", re.IGNORECASE)


def run_time_packages() -> list[str]:
    return re.findall(r"^([A-Za-z0-9][A-Za-z0-9_.\-]*)==", (ROOT / "requirements.txt").read_text(), re.MULTILINE)


def licence_of(name: str) -> str:
    """What a package's metadata says its licence is, as one line."""
    meta = metadata.metadata(name)
    expression = meta.get("License-Expression")
    if expression:
        return expression
    text = (meta.get("License") or "").strip()
    classifiers = [c.split(" :: ")[-1] for c in meta.get_all("Classifier") or [] if c.startswith("License ::")]
    if text and "\n" not in text and len(text) <= 60:
        return text
    return " OR ".join(classifiers) or text.splitlines()[0] if text else " OR ".join(classifiers)


def acceptable(licence: str) -> bool:
    """Whether a licence expression leaves a choice free of strong copyleft: an OR holds
    if any side does, an AND if every side does (SPDX's precedence, AND binding tighter)."""
    tokens = re.findall(r"\(|\)|\bAND\b|\bOR\b|[^()\s]+(?:\s+(?!AND\b|OR\b)[^()\s]+)*", licence)
    position = 0

    def either() -> bool:
        nonlocal position
        result = both()
        while position < len(tokens) and tokens[position] == "OR":
            position += 1
            result = both() or result
        return result

    def both() -> bool:
        nonlocal position
        result = one()
        while position < len(tokens) and tokens[position] == "AND":
            position += 1
            result = one() and result
        return result

    def one() -> bool:
        nonlocal position
        token = tokens[position]
        position += 1
        if token == "(":
            result = either()
            position += 1  # the ")"
            return result
        return not COPYLEFT.search(token)

    return either()


@pytest.mark.parametrize(
    ("licence", "verdict"),
    [
        ("BSD-3-Clause", True),
        ("GPL-2.0-or-later", False),  # igraph's, which the map's layout no longer needs
        ("GNU General Public License v2 or later (GPLv2+)", False),
        ("AGPL-3.0-only", False),
        ("LGPL-3.0-only", False),
        ("MPL-2.0 AND (Apache-2.0 OR MIT)", True),
        ("MPL-1.1 OR GPL-2.0-only OR LGPL-2.1-or-later", True),
        ("MIT AND GPL-3.0-only", False),
        ("(GPL-2.0-only OR LGPL-3.0-only) AND MIT", False),
        ("Apache 2.0", True),
    ],
)
def test_a_licence_is_acceptable_when_a_choice_in_it_is_free_of_strong_copyleft(licence, verdict):
    assert acceptable(licence) == verdict


def test_every_run_time_dependency_has_a_licence_the_project_can_ship_beside():
    packages = run_time_packages()
    assert [name in packages for name in ("django", "psycopg", "igraph", "syntok")] == [True, True, False, False]
    licences = {name: licence_of(name) for name in packages}
    assert [name for name, licence in licences.items() if not licence] == []
    refused = {name: licence for name, licence in licences.items() if not acceptable(licence) and name not in ALLOWED}
    assert refused == {}
    # The allow-list stays short and true: each entry is a dependency, and copyleft.
    assert {name: acceptable(licences[name]) for name in ALLOWED} == dict.fromkeys(ALLOWED, False)


def test_the_project_states_its_licence():
    assert (ROOT / "LICENSE").read_text().splitlines()[1].strip() == "Apache License"
    assert 'license = "Apache-2.0"' in (ROOT / "pyproject.toml").read_text()
