"""The rows of the workspace's side panel (units in text order, then relations) as HTML.

Built in Python like the highlighted text: at 300 units a template loop costs several
times the rest of the request (see docs/benchmarks.md). The markup is the panel's
contract with static/annotate/workspace.js (pinned by tests/test_panel_markup.py): rows
carry `data-unit` / `data-label`, relation rows `data-relation` / `data-source` /
`data-target`, a unit's name is a `.unit-pick` button and its note (if any) the
`.note-text` of its `.unit-note`. The buttons that change the
layer are hx-post elements; their URLs are relative to the workspace page (the layer's
URL, under which the unit and relation URLs lie), and the workspace gives them the
revision and their turn.
"""

import json
from html import escape


def _vals(values: dict) -> str:
    return escape(json.dumps(values))


def unit_rows(units, *, editable: bool) -> str:
    rows = []
    for unit in units:
        label = unit.label
        spans = f' <span class="pill">{len(unit.spans)} spans</span>' if len(unit.spans) > 1 else ""
        pick = (
            f'<button type="button" class="unit-pick" data-unit="{unit.id}"><span class="swatch"></span>'
            f'<span class="unit-label">{escape(label.name)}</span>{spans}'
            f'<span class="quote">{escape(unit.short_quote)}</span></button>'
        )
        if editable:
            chips = "".join(
                f'<button type="button" class="chip{" on" if on else ""}" data-action="attribute" '
                f'hx-post="units/{unit.id}/attribute/" hx-vals="{_vals({"name": name, "value": "" if on else value})}" '
                f'aria-pressed="{"true" if on else "false"}" '
                f'title="{"Remove" if on else "Set"} {escape(name)} {escape(value)}">{escape(value)}</button>'
                for name, value, on in unit.choices
            )
            actions = (
                f'<span class="unit-actions">{chips}<button type="button" class="link danger" '
                f'data-action="delete-unit" hx-post="units/{unit.id}/delete/" aria-label="Delete unit {unit.number}">'
                "Delete</button></span>"
            )
        else:
            actions = "".join(
                f'<span class="chip on">{escape(str(value))}</span>' for value in unit.attributes.values()
            )
        note = (
            '<p class="unit-note"><span class="note-name">Note:</span> '
            f'<span class="note-text">{escape(unit.note)}</span></p>'
            if unit.note
            else ""
        )
        rows.append(
            f'<li class="unit-row label-{label.pk}" data-unit="{unit.id}" data-label="{label.pk}">'
            f"{pick}{actions}{note}</li>"
        )
    return "".join(rows)


def relation_rows(relations, *, editable: bool) -> str:
    rows = []
    for relation in relations:
        source, target = relation.source, relation.target
        delete = (
            f'<button type="button" class="link danger" data-action="delete-relation" '
            f'hx-post="relations/{relation.id}/delete/" aria-label="Delete relation">Delete</button>'
            if editable
            else ""
        )
        rows.append(
            f'<li class="relation-row relation-type-{relation.type.pk}" data-relation="{relation.id}" '
            f'data-source="{source.id}" data-target="{target.id}">'
            f'<button type="button" class="unit-pick" data-unit="{source.id}">{escape(source.label.name)} '
            f"“{escape(source.tiny_quote)}”</button>"
            f'<span class="relation-name"><span class="swatch"></span>{escape(relation.type.name)}</span>'
            f'<button type="button" class="unit-pick" data-unit="{target.id}">{escape(target.label.name)} '
            f"“{escape(target.tiny_quote)}”</button>{delete}</li>"
        )
    return "".join(rows)


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def source_name(source: str, model_version: int | None) -> str:
    """Where a suggestion came from, in the workspace's words."""
    if source == "markers":
        return "discourse markers"
    if source == "model":
        return f"model v{model_version}"
    return source


def ghost_name(ghost, text: str) -> str:
    """A ghost's accessible name: what it suggests, from where, and its text."""
    quote = _short(text[ghost.span[0] : ghost.span[1]], 80)
    return f"Suggested {ghost.label.name} (from {source_name(ghost.source, ghost.model_version)}): “{quote}”"


def suggestion_rows(shown, text: str) -> str:
    """The shown suggestions (units in text order, then relations), each with Accept and
    Reject. Rows carry `data-suggestion` (and ghost relations `data-source` /
    `data-target`, each `unit:ID` or `suggestion:ID`); their buttons are hx-post elements
    like the panel's other changes, so they take the workspace's turn and revision."""
    rows = []

    def buttons(suggestion_id: int, what: str) -> str:
        return (
            f'<span class="unit-actions"><button type="button" class="accept" data-action="accept-suggestion" '
            f'hx-post="suggestions/{suggestion_id}/accept/" aria-label="Accept {escape(what)}">Accept</button>'
            f'<button type="button" class="link" data-action="reject-suggestion" '
            f'hx-post="suggestions/{suggestion_id}/reject/" aria-label="Reject {escape(what)}">Reject</button></span>'
        )

    for ghost in shown.units:
        quote = _short(text[ghost.span[0] : ghost.span[1]], 60)
        source = source_name(ghost.source, ghost.model_version)
        rows.append(
            f'<li class="suggestion-row label-{ghost.label.pk}" data-suggestion="{ghost.id}">'
            f'<button type="button" class="suggestion-pick" data-suggestion="{ghost.id}"><span class="swatch"></span>'
            f'<span class="unit-label">{escape(ghost.label.name)}</span><span class="source">{escape(source)}</span>'
            f'<span class="quote">{escape(quote)}</span></button>'
            f"{buttons(ghost.id, f'suggested {ghost.label.name} “{quote}”')}</li>"
        )
    for link in shown.relations:
        ends = [f"“{escape(_short(text[span[0] : span[1]], 24))}”" for span in (link.source_span, link.target_span)]
        source = source_name(link.origin, link.model_version)
        rows.append(
            f'<li class="ghost-link-row relation-type-{link.type.pk}" data-suggestion="{link.id}" '
            f'data-source="{link.source}" data-target="{link.target}">'
            f'<span class="ghost-link-text">{ends[0]} <span class="relation-name"><span class="swatch"></span>'
            f'{escape(link.type.name)}</span> {ends[1]} <span class="source">{escape(source)}</span></span>'
            f"{buttons(link.id, f'suggested relation {link.type.name}')}</li>"
        )
    return "".join(rows)
