"""The annotation workspace: one layer of one article, changed one action at a time.

Every change is a POST that carries the layer revision the page shows. It answers
with the new revision and the lines of the text the change touched, swapped in by
their ids, and the `layer-changed` event (the unit panel follows it), or, for bad
input, with a message shown above the text and nothing changed.
"""

import json
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial, wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from annotate import access, history, layer_content, lifecycle, relations, suggestions, units, workspace
from annotate.changes import Changed
from annotate.forms import (
    DocumentStanceForm,
    FinishForm,
    LayerChangeForm,
    RelationCreateForm,
    SpanEditForm,
    SuggestionPickForm,
    UnitAttributeForm,
    UnitCreateForm,
    UnitLabelForm,
    UnitNoteForm,
)
from annotate.models import NOTE_MAX_CHARS, Layer, Membership, Suggestion
from annotate.views import highlight, panel, status_line

PAGE = "annotate/layer_detail.html"


def readable_layer(membership: Membership, pk: int) -> Layer:
    layers = access.layers(membership).select_related("article__project", "annotator")
    return get_object_or_404(layers, pk=pk)


@dataclass
class Done:
    """What a change did, for its answer: the domain's result, the unit to keep chosen,
    a note for the annotator (what a snapped selection became), and the units on the
    lines it changed, after it, if the action has read them already: (those lines,
    the rows), saving the answer a read."""

    changed: Changed
    unit: int | None = None
    notice: str = ""
    on_lines: tuple[tuple[int, int], list[layer_content.UnitRow]] | None = None


def lines_around(text: str, offsets: list[int]) -> tuple[int, int]:
    """The whole lines of `text` that hold `offsets`: (start of the first, end of the last)."""
    starts = highlight.line_starts(text)
    first = starts[bisect_right(starts, min(offsets)) - 1]
    after = bisect_left(starts, max(offsets))  # the first line starting at or after the last offset
    return first, starts[after] if after < len(starts) else len(text)


def changed_stretch(layer: Layer, changed: Changed) -> tuple[int, int] | None:
    """The whole lines of the text that `changed` touched (the spans of the units it
    changed, before and after), or None if it touched no unit's spans, label or
    attributes (a relation, a status)."""
    offsets = changed.offsets()
    return lines_around(layer.article.text, offsets) if offsets else None


def lines_html(layer: Layer, stretch: tuple[int, int], rows: list[layer_content.UnitRow] | None = None) -> SafeString:
    """The lines of the layer's text in `stretch` (whole lines), drawn as on the page and
    marked for htmx to swap in by their ids; from `rows` (the units with a span there),
    if given, else from the database."""
    if rows is None:
        rows = layer_content.read_stretch(layer, stretch).units
    # The units turned straight into what the text shows of them (no numbers nor
    # quotes: the text does not show them).
    labels = {label.pk: label for label in layer.article.project.scheme_labels}
    highlights = [
        highlight.Highlight(
            row.id, row.label_id, layer_content.tag(labels[row.label_id], row.attributes), row.spans, row.note
        )
        for row in rows
    ]
    # The suggestions shown on those lines: beside the units there (a ghost elsewhere
    # is not drawn, so the units elsewhere need not be read); none in a finished layer.
    if layer.status != Layer.Status.FINISHED:
        highlights += ghosts(suggestions.shown(layer, rows, [], within=stretch), layer.article.text)
    # render() escapes the text
    return mark_safe(highlight.render(layer.article.text, highlights, within=stretch, oob=True))


def ghosts(shown: suggestions.Shown, text: str) -> list[highlight.Highlight]:
    """What the text shows of the shown unit suggestions: faded, dashed marks with their
    label's tag, ids negated so they never meet a unit's."""
    return [
        highlight.Highlight(
            -ghost.id, ghost.label.pk, ghost.label.name, (ghost.span,), "", panel.ghost_name(ghost, text)
        )
        for ghost in shown.units
    ]


def suggested_stretch(layer: Layer) -> tuple[int, int] | None:
    """The whole lines that hold the layer's open unit suggestions (first to last), which
    a change of its status shows or hides; None when it has none."""
    if not layer.article.project.suggestions:
        return None
    spans = [
        each.span
        for each in suggestions.refresh(layer)
        if each.kind == Suggestion.Kind.UNIT and each.status == Suggestion.Status.OPEN
    ]
    return lines_holding(layer.article.text, spans)


def lines_holding(text: str, spans: list[tuple[int, int]]) -> tuple[int, int] | None:
    """The whole lines of `text` from the first of `spans` to the last; None for none."""
    if not spans:
        return None
    return lines_around(text, [min(start for start, _ in spans), max(end for _, end in spans)])


def text_html(ws: workspace.Workspace, shown: suggestions.Shown) -> SafeString:
    return mark_safe(highlight.render(ws.text, highlight.of(ws.units) + ghosts(shown, ws.text)))  # escaped there


def change_answer(layer: Layer, user, changed: Changed, *, notice: str = "", on_lines=None) -> str:
    """The answer to a change to `layer`: the new revision and status, what Undo and
    Redo would do now, the op-ed stance (which undo and redo may change), and the lines
    of the text the change touched, redrawn (none when it touched no unit's spans,
    label or attributes: a relation, a document stance); from `on_lines` (`Done`'s) if
    they are those lines."""
    stretch = changed_stretch(layer, changed)
    undo, redo = history.pending(layer, user, just_made=changed.last)
    rows = on_lines[1] if on_lines and on_lines[0] == stretch else None
    return status_line.change_answer(
        layer,
        undo=undo,
        redo=redo,
        notice=notice,
        stance_shown=layer.article.project.document_stance,
        lines=lines_html(layer, stretch, rows) if stretch else "",
    )


def history_buttons(membership: Membership, layer: Layer) -> dict:
    """What the Undo and Redo buttons would do, for whoever may change the layer
    (nothing while it is finished: it is read-only until reopened)."""
    changeable = access.can_edit(membership, layer) and layer.status != Layer.Status.FINISHED
    undo, redo = history.pending(layer, membership.user) if changeable else ("", "")
    return {"undo": undo, "redo": redo}


def _safe(draw: Callable[..., str], *args, **kwargs) -> SafeString:
    return mark_safe(draw(*args, **kwargs))  # the drawing functions escape what they draw


def page_context(membership: Membership, layer: Layer, *, opening: bool = False, **extra) -> dict:
    """What the workspace page and its parts are drawn from. `opening`: for the page
    itself, which opens without waiting for the model to tag the article (its
    suggestions are asked for once the page is shown: `layer_panel`)."""
    editable = access.can_edit(membership, layer)
    # A finished layer is read-only until it is reopened: the panel offers no changes.
    changeable = editable and layer.status != Layer.Status.FINISHED
    ws = workspace.load(layer)
    # Suggestions are drawn only where they can be accepted: not in a finished layer,
    # nor for a reader of another's layer.
    shown = suggestions.shown(layer, ws.units, ws.relations, defer_model=opening) if changeable else suggestions.NOTHING
    return {
        "membership": membership,
        "project": membership.project,
        "layer": layer,
        "article": layer.article,
        "editable": editable,
        "changeable": changeable,
        "note_max": NOTE_MAX_CHARS,
        "ws": ws,
        # The HTML parts are drawn only if the template shows them (Django calls a
        # callable in a context): the panel's refresh after every change shows neither
        # the text nor the status line, a finish's answer only the layer bar.
        "text_html": partial(text_html, ws, shown),
        "shown": shown,
        "suggestion_count": len(shown.units) + len(shown.relations),
        "suggestion_rows": partial(_safe, panel.suggestion_rows, shown, ws.text),
        # The panel's rows, built in Python (views/panel.py) for speed; escaped there.
        "unit_rows": partial(_safe, panel.unit_rows, ws.units, editable=changeable),
        "relation_rows": partial(_safe, panel.relation_rows, ws.relations, editable=changeable),
        # The parts every change redraws, drawn by the functions its answer uses.
        "revision_html": partial(status_line.revision, layer),
        "status_html": partial(status_line.status, layer),
        "stance_html": partial(
            status_line.stance, layer, shown=membership.project.document_stance, changeable=changeable
        ),
        "history_html": partial(status_line.history_buttons, layer, extra.get("undo", ""), extra.get("redo", "")),
        "message_html": partial(status_line.message, extra.get("notice", "")),
        **extra,
    }


@never_cache  # Back must never show a workspace (and a revision) older than the layer
@require_GET
@login_required
def layer_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    membership = access.membership_or_404(request.user, slug)
    layer = readable_layer(membership, pk)  # opening changes nothing: a layer starts on its first change
    return render(request, PAGE, page_context(membership, layer, opening=True, **history_buttons(membership, layer)))


@never_cache
@require_GET
@login_required
def layer_panel(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """The panel, redrawn after a change. With `ghosts` (what a page opened before the
    model's suggestions were made asks for at once): they are made, and the lines that
    hold them are drawn again with their ghosts."""
    membership = access.membership_or_404(request.user, slug)
    layer = readable_layer(membership, pk)
    context = page_context(membership, layer)
    response = render(request, f"{PAGE}#unit-panel", context)
    if request.GET.get("ghosts"):
        stretch = lines_holding(layer.article.text, [ghost.span for ghost in context["shown"].units])
        if stretch:
            response.write(lines_html(layer, stretch))
    return response


@require_GET
@login_required
def layer_outline(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    membership = access.membership_or_404(request.user, slug)
    layer = readable_layer(membership, pk)
    return render(request, "annotate/layer_outline.html", page_context(membership, layer))


def message(request: HttpRequest, text: str, *, status: int, layer: Layer | None = None, reload: bool = False):
    """A refusal, shown where the annotator is looking; for a finished layer, with its
    Reopen button, and for a stale page, with a Reload link."""
    context = {"text": text, "reopen": layer, "reload": reload, "project": layer.article.project if layer else None}
    response = render(request, "annotate/_workspace_message.html", context, status=status)
    response["HX-Retarget"] = "#workspace-message"
    response["HX-Reswap"] = "innerHTML"
    return response


def refusal(request: HttpRequest, error: Exception, layer: Layer | None) -> HttpResponse:
    """The answer to a change refused with nothing changed: a stale page (409, Reload),
    a finished layer (409, Reopen), bad input (422), something not in the layer (404)."""
    if isinstance(error, lifecycle.StaleError):
        return message(request, str(error), status=409, reload=True)
    if isinstance(error, units.LayerFinishedError):
        return message(request, str(error), status=409, layer=layer)
    return message(request, str(error), status=422 if isinstance(error, units.AnnotationError) else 404)


def form_errors(form) -> str:
    """The form's messages, each once: a selection missing both its ends is one
    "Select some text first.", not two."""
    return " ".join(dict.fromkeys(str(error) for errors in form.errors.values() for error in errors))


def layer_action(action: Callable[..., Done]) -> Callable[..., HttpResponse]:
    """Run `action(request, layer)` on an editable layer in one transaction, with the
    page's revision checked and the layer started if this is its first change; answer
    with the new revision and status, the lines it changed and the `layer-changed`
    event (naming the unit the action made or changed, for the page to keep it
    chosen), or with a message and no change."""

    @wraps(action)
    @require_POST
    @login_required
    def view(request: HttpRequest, slug: str, pk: int, **kwargs) -> HttpResponse:
        layer = None
        try:
            with transaction.atomic():
                layer = access.layer_to_change(request.user, slug, pk)
                checked(layer, request.POST)
                started = lifecycle.start_layer(layer=layer, user=request.user)
                done = action(request, layer, **kwargs)
        except (units.AnnotationError, Http404) as error:
            return refusal(request, error, layer)
        changed = started.then(done.changed)
        response = HttpResponse(change_answer(layer, request.user, changed, notice=done.notice, on_lines=done.on_lines))
        response["HX-Trigger"] = json.dumps({"layer-changed": {"unit": done.unit}})
        return response

    return view


def valid(form) -> dict:
    """The form's cleaned data; invalid input is refused as an AnnotationError (422)
    carrying the form's messages."""
    if not form.is_valid():
        raise units.AnnotationError(form_errors(form))
    return form.cleaned_data


def own_unit(layer: Layer, pk: int):
    unit = layer.units.filter(pk=pk).first()
    if unit is None:
        raise Http404("That unit is not in this layer (it may have been deleted in another tab). Reload the page.")
    unit.layer = layer
    # Its label from the project's scheme as cached, not read again with the unit.
    unit.label = next(label for label in layer.article.project.scheme_labels if label.pk == unit.label_id)
    return unit


def checked(layer: Layer, data) -> None:
    """Check the revision the page sent (in `data`, the POST) against the layer's: by
    the revision field's own cleaning and messages, without a whole form, as every
    change runs it before the action's own form."""
    try:
        revision = LayerChangeForm.base_fields["revision"].clean(data.get("revision"))
    except ValidationError as error:
        raise units.AnnotationError(" ".join(error.messages)) from error
    lifecycle.check_revision(layer, revision)


# The actions below run in `layer_action`, which has checked the page's revision (and
# may have started the layer, counting that in the revision): their forms are only validated.


def snapped_notice(text: str, data: dict) -> str:
    """Tell the annotator what a unit covers when snapping changed their selection."""
    start, end = data["span"]
    if data["selected"] == data["span"]:
        return ""
    quote = text[start:end] if end - start <= 120 else text[start : start + 119] + "…"
    return f"Snapped to whole words: the unit covers “{quote}”."


@layer_action
def unit_create(request: HttpRequest, layer: Layer) -> Done:
    article = layer.article
    project = article.project
    form = UnitCreateForm(
        request.POST,
        text=article.text,
        snapping=project.snapping,
        keep_punctuation=project.snap_keeps_punctuation,
        labels=project.scheme_labels,
    )
    data = valid(form)
    # The units on the new unit's lines, read before it is made: where the duplicate
    # check looks, and with the new unit what the answer draws (a read fewer for both).
    stretch = lines_around(article.text, list(data["span"]))
    around = layer_content.read_stretch(layer, stretch).units
    label = data["label"]
    changed = units.create_unit(layer=layer, label=label, spans=[data["span"]], user=request.user, among=around)
    unit = changed.unit
    made = layer_content.UnitRow(unit.pk, layer.pk, label.pk, unit.attributes, (data["span"],), unit.note)
    return Done(changed, unit.pk, snapped_notice(article.text, data), on_lines=(stretch, [*around, made]))


@layer_action
def unit_label(request: HttpRequest, layer: Layer, unit_pk: int) -> Done:
    data = valid(UnitLabelForm(request.POST, labels=layer.article.project.scheme_labels))
    return Done(units.update_unit(unit=own_unit(layer, unit_pk), label=data["label"], user=request.user), unit_pk)


@layer_action
def unit_attribute(request: HttpRequest, layer: Layer, unit_pk: int) -> Done:
    data = valid(UnitAttributeForm(request.POST))
    unit = own_unit(layer, unit_pk)
    return Done(units.update_unit(unit=unit, attributes={data["name"]: data["value"]}, user=request.user), unit_pk)


@layer_action
def unit_spans(request: HttpRequest, layer: Layer, unit_pk: int) -> Done:
    article = layer.article
    project = article.project
    form = SpanEditForm(
        request.POST, text=article.text, snapping=project.snapping, keep_punctuation=project.snap_keeps_punctuation
    )
    data = valid(form)
    unit = own_unit(layer, unit_pk)
    if data["mode"] == "add":
        changed = units.add_span(unit=unit, span=data["span"], user=request.user)
    else:
        changed = units.update_unit(unit=unit, spans=[data["span"]], user=request.user)
    return Done(changed, unit.pk, snapped_notice(article.text, data))


@layer_action
def unit_note(request: HttpRequest, layer: Layer, unit_pk: int) -> Done:
    data = valid(UnitNoteForm(request.POST))
    return Done(units.update_unit(unit=own_unit(layer, unit_pk), note=data["note"], user=request.user), unit_pk)


@layer_action
def unit_delete(request: HttpRequest, layer: Layer, unit_pk: int) -> Done:
    return Done(units.delete_unit(unit=own_unit(layer, unit_pk), user=request.user))


@layer_action
def relation_create(request: HttpRequest, layer: Layer) -> Done:
    data = valid(RelationCreateForm(request.POST, relation_types=layer.article.project.scheme_relation_types))
    source, target = own_unit(layer, data["source"]), own_unit(layer, data["target"])
    changed = relations.create_relation(layer=layer, type=data["type"], source=source, target=target, user=request.user)
    return Done(changed, source.pk)


@layer_action
def relation_delete(request: HttpRequest, layer: Layer, relation_pk: int) -> Done:
    relation = layer.relations.filter(pk=relation_pk).first()
    if relation is None:
        raise Http404("That relation is not in this layer (it may have been deleted in another tab). Reload the page.")
    relation.layer = layer
    return Done(relations.delete_relation(relation=relation, user=request.user))


def suggested(action: Callable[..., Changed]) -> Changed:
    """Run a suggestion's domain change; a suggestion not in the layer is a 404."""
    try:
        return action()
    except units.NotFoundError as error:
        raise Http404(str(error)) from error


@layer_action
def suggestion_accept(request: HttpRequest, layer: Layer, suggestion_pk: int) -> Done:
    """Accept a suggestion; with `label` (a label key pressed on a suggested unit), its
    words with that label."""
    label = None
    if "label" in request.POST:
        label = valid(UnitLabelForm(request.POST, labels=layer.article.project.scheme_labels))["label"]
    accept = partial(suggestions.accept, layer=layer, suggestion_id=suggestion_pk, user=request.user, label=label)
    return Done(suggested(accept))


@layer_action
def suggestion_reject(request: HttpRequest, layer: Layer, suggestion_pk: int) -> Done:
    return Done(suggested(partial(suggestions.reject, layer=layer, suggestion_id=suggestion_pk, user=request.user)))


@layer_action
def suggestions_accept_all(request: HttpRequest, layer: Layer) -> Done:
    """Accept every suggestion shown in the paragraph of the one the page has chosen
    (`suggestion`, a shown unit suggestion's id), as one step."""
    data = valid(SuggestionPickForm(request.POST))
    ws = workspace.load(layer)
    shown = suggestions.shown(layer, ws.units, ws.relations)
    chosen = next((ghost for ghost in shown.units if ghost.id == data["suggestion"]), None)
    if chosen is None:
        raise Http404("That suggestion is no longer shown (it may have been accepted in another tab). Reload the page.")
    paragraph = lines_around(layer.article.text, list(chosen.span))
    changed = suggestions.accept_all(layer=layer, within=paragraph, user=request.user, shown_now=shown)
    return Done(changed)


@layer_action
def layer_undo(request: HttpRequest, layer: Layer) -> Done:
    return Done(history.undo(layer=layer, user=request.user))


@layer_action
def layer_redo(request: HttpRequest, layer: Layer) -> Done:
    return Done(history.redo(layer=layer, user=request.user))


def bar_action(action: Callable[..., dict]) -> Callable[..., HttpResponse]:
    """Run `action(request, layer)` (finish, reopen, document stance) on an editable
    layer in one transaction, with the page's revision checked; answer with the layer
    bar (which carries what the action returns for it), the new revision and status,
    and the `layer-changed` event, so the panel follows a status that makes the
    layer read-only or editable again. An action that returns `ghosts: True` (finish,
    reopen) changes whether suggestions are shown: the lines that hold them are
    redrawn too, with their ghosts or without."""

    @wraps(action)
    @require_POST
    @login_required
    def view(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
        layer = None
        try:
            with transaction.atomic():
                layer = access.layer_to_change(request.user, slug, pk)
                checked(layer, request.POST)
                extra = action(request, layer)
        except (units.AnnotationError, Http404) as error:
            return refusal(request, error, layer)
        membership = access.membership_or_404(request.user, slug)
        stretch = suggested_stretch(layer) if extra.pop("ghosts", False) else None
        context = page_context(membership, layer, **extra, **history_buttons(membership, layer))
        bar = render(request, f"{PAGE}#layer-bar", context)
        if stretch:
            bar.write(lines_html(layer, stretch))
        bar.write(status_line.revision(layer, oob=True))
        bar.write(status_line.history_buttons(layer, context["undo"], context["redo"], oob=True))
        bar.write(status_line.message(oob=True))
        response = bar
        response["HX-Trigger"] = json.dumps({"layer-changed": {"unit": None}})
        return response

    return view


@bar_action
def layer_finish(request: HttpRequest, layer: Layer) -> dict:
    """Mark the layer finished, or show what the structure checks found first."""
    form = FinishForm(request.POST)
    confirmed = form.is_valid() and form.cleaned_data["confirmed"]
    result = lifecycle.finish_layer(layer=layer, user=request.user, confirmed=confirmed)
    rows = workspace.load(layer).explain(result.findings)
    return {"finish": result, "finding_rows": rows, "ghosts": True}


@bar_action
def layer_reopen(request: HttpRequest, layer: Layer) -> dict:
    lifecycle.reopen_layer(layer=layer, user=request.user)
    return {"ghosts": True}


@bar_action
def layer_stance(request: HttpRequest, layer: Layer) -> dict:
    stance = valid(DocumentStanceForm(request.POST))["stance"]
    lifecycle.start_layer(layer=layer, user=request.user)  # the op-ed stance may be a layer's first change
    lifecycle.set_document_stance(layer=layer, stance=stance, user=request.user)
    return {}
