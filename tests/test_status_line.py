"""The parts of the workspace that the answer to every change redraws, drawn in Python
(annotate/views/status_line.py): whole markup for each state, names escaped."""

from annotate.models import Layer
from annotate.views import status_line


def layer(**fields) -> Layer:
    values = {"revision": 7, "status": Layer.Status.IN_PROGRESS, "document_stance": "", "annotator_id": 1}
    return Layer(**{**values, **fields})


def test_the_revision_carries_the_status_and_is_swapped_in_by_id_in_an_answer():
    assert status_line.revision(layer()) == (
        '<input type="hidden" id="layer-revision" name="revision" value="7" data-revision="7" '
        'data-status="in_progress">'
    )
    assert status_line.revision(layer(), oob=True) == (
        '<input type="hidden" id="layer-revision" name="revision" value="7" data-revision="7" '
        'data-status="in_progress" hx-swap-oob="true">'
    )


def test_the_status_names_a_finished_gold_layer_curation_finished():
    assert status_line.status(layer()) == '<span id="layer-status" class="status in_progress">In progress</span>'
    gold = layer(status=Layer.Status.FINISHED, annotator_id=None)
    assert status_line.status(gold) == '<span id="layer-status" class="status finished">Curation finished</span>'
    finished = layer(status=Layer.Status.FINISHED)
    assert status_line.status(finished, oob=True) == (
        '<span id="layer-status" class="status finished" hx-swap-oob="true">Finished</span>'
    )


def test_undo_and_redo_are_named_by_what_they_would_do_escaped_or_disabled_and_saying_why():
    assert status_line.history_buttons(layer(), 'new Claim “<b>&"', "") == (
        '<span id="history-buttons" class="history-buttons">'
        '<button type="button" data-action="undo" title="Undo: new Claim “&lt;b&gt;&amp;&quot; (Ctrl+Z)" '
        'hx-post="undo/">Undo: new Claim “&lt;b&gt;&amp;&quot;</button>'
        '<button type="button" data-action="redo" title="Nothing to redo" disabled hx-post="redo/">Redo</button>'
        "</span>"
    )
    finished = layer(status=Layer.Status.FINISHED)
    assert status_line.history_buttons(finished, "", "", oob=True) == (
        '<span id="history-buttons" class="history-buttons" hx-swap-oob="true">'
        '<button type="button" data-action="undo" title="Reopen the layer to undo" disabled '
        'hx-post="undo/">Undo</button>'
        '<button type="button" data-action="redo" title="Reopen the layer to redo" disabled '
        'hx-post="redo/">Redo</button>'
        "</span>"
    )


def test_the_message_holds_a_notice_escaped_with_its_dismiss_button_or_nothing():
    assert status_line.message() == '<div id="workspace-message" class="workspace-message" aria-live="assertive"></div>'
    assert status_line.message("Snapped to “<i>”.", oob=True) == (
        '<div id="workspace-message" class="workspace-message" aria-live="assertive" hx-swap-oob="true">'
        '<p class="message info">Snapped to “&lt;i&gt;”. '
        '<button type="button" class="link" data-dismiss>Dismiss</button></p></div>'
    )


def test_the_stance_form_shows_only_where_the_project_asks_with_the_stance_chosen():
    assert status_line.stance(layer(), shown=False, changeable=True) == ""
    options = [("", "Not set"), *Layer.Stance.choices]
    chosen = options[1][0]

    def form(selected: str, disabled: str) -> str:
        choices = "".join(
            f'<option value="{value}"{" selected" if value == selected else ""}>{name}</option>'
            for value, name in options
        )
        return (
            '<form id="document-stance" class="stance-form" hx-post="stance/" hx-target="#layer-bar" '
            'hx-swap="outerHTML" hx-trigger="change"><label for="document-stance-choice">Op-ed stance</label>'
            f'<select id="document-stance-choice" name="stance"{disabled}>{choices}</select></form>'
        )

    assert status_line.stance(layer(), shown=True, changeable=True) == form("", "")
    assert status_line.stance(layer(document_stance=chosen), shown=True, changeable=False) == form(chosen, " disabled")
