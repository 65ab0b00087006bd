"""The small parts of the workspace page that the answer to every change redraws: the
layer's revision, its status, the Undo and Redo buttons, the message and the op-ed
stance.

Built in Python like the panel's rows and the text: the template took longer to draw
these five elements than a change takes to save (docs/benchmarks.md, "Where a save's
time goes"). The page draws them with the same functions, so there is one markup for
each. `oob` marks an element for htmx to swap in by its id, as the answers do. The
forms post to URLs relative to the workspace page (the layer's URL), as the panel's
buttons do.
"""

from html import escape

from django.utils.safestring import SafeString, mark_safe

from annotate.models import Layer


def _oob(oob: bool) -> str:
    return ' hx-swap-oob="true"' if oob else ""


def revision(layer: Layer, *, oob: bool = False) -> SafeString:
    """The revision every change carries (hx-include) and the status scripts read."""
    return mark_safe(
        f'<input type="hidden" id="layer-revision" name="revision" value="{layer.revision}" '
        f'data-revision="{layer.revision}" data-status="{escape(layer.status)}"{_oob(oob)}>'
    )


def status(layer: Layer, *, oob: bool = False) -> SafeString:
    finished = layer.status == Layer.Status.FINISHED
    name = "Curation finished" if layer.is_gold and finished else layer.get_status_display()
    return mark_safe(f'<span id="layer-status" class="status {escape(layer.status)}"{_oob(oob)}>{escape(name)}</span>')


def history_buttons(layer: Layer, undo: str, redo: str, *, oob: bool = False) -> SafeString:
    """Undo and Redo, named by what they would do (`undo`, `redo`; empty: nothing)."""
    finished = layer.status == Layer.Status.FINISHED

    def button(action: str, name: str, keys: str, pending: str) -> str:
        if pending:
            title, text = f"{name}: {pending} ({keys})", f"{name}: {pending}"
        else:
            title = f"Reopen the layer to {action}" if finished else f"Nothing to {action}"
            text = name
        disabled = "" if pending else "disabled "
        return (
            f'<button type="button" data-action="{action}" title="{escape(title)}" {disabled}'
            f'hx-post="{action}/">{escape(text)}</button>'
        )

    return mark_safe(
        f'<span id="history-buttons" class="history-buttons"{_oob(oob)}>'
        f"{button('undo', 'Undo', 'Ctrl+Z', undo)}{button('redo', 'Redo', 'Ctrl+Shift+Z', redo)}</span>"
    )


def message(notice: str = "", *, oob: bool = False) -> SafeString:
    """Where messages to the annotator appear (read out at once); `notice`, if any."""
    text = (
        f'<p class="message info">{escape(notice)} <button type="button" class="link" data-dismiss>Dismiss</button></p>'
        if notice
        else ""
    )
    return mark_safe(
        f'<div id="workspace-message" class="workspace-message" aria-live="assertive"{_oob(oob)}>{text}</div>'
    )


def stance(layer: Layer, *, shown: bool, changeable: bool, oob: bool = False) -> SafeString:
    """The op-ed's stance, for projects that ask for it (`shown`)."""
    if not shown:
        return mark_safe("")
    options = "".join(
        f'<option value="{escape(value)}"{" selected" if layer.document_stance == value else ""}>'
        f"{escape(name)}</option>"
        for value, name in [("", "Not set"), *Layer.Stance.choices]
    )
    disabled = "" if changeable else " disabled"
    return mark_safe(
        f'<form id="document-stance" class="stance-form" hx-post="stance/" hx-target="#layer-bar" '
        f'hx-swap="outerHTML" hx-trigger="change"{_oob(oob)}>'
        '<label for="document-stance-choice">Op-ed stance</label>'
        f'<select id="document-stance-choice" name="stance"{disabled}>{options}</select></form>'
    )


def change_answer(layer: Layer, *, undo: str, redo: str, notice: str, stance_shown: bool, lines: str) -> str:
    """The answer to a change: every part above, swapped in by id, and the lines of the
    text the change touched (already drawn)."""
    return "".join(
        (
            revision(layer, oob=True),
            status(layer, oob=True),
            history_buttons(layer, undo, redo, oob=True),
            message(notice, oob=True),
            stance(layer, shown=stance_shown, changeable=True, oob=True),
            lines,
        )
    )
