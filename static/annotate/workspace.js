// The annotation workspace: turns a text selection into offsets and handles keys.
// Everything else (what the text looks like, what a unit is) comes from the server.
// Offsets sent are UTF-16 code units, as the browser counts them; the server converts
// them to code points and answers with the re-rendered text. The relations' arcs over
// the text are drawn by arcs.js (`?arcs=off` leaves them out).

import { startArcs } from "./arcs.js";

const root = document.getElementById("workspace");
if (root) start(root);

function start(root) {
  const editable = root.dataset.editable === "true";
  const hint = document.getElementById("mode-hint");
  // `suggestion`: the suggestion chosen (its ghost in the text has focus); `then`: after
  // accepting or rejecting it, the suggestions to choose next, in text order.
  const state = { unit: null, relation: null, mode: "normal", source: null, target: null, suggestion: null, then: null };

  const textElement = () => document.getElementById("article-text");
  const marksOf = (id) => document.querySelectorAll(`#article-text mark[data-unit="${id}"]`);
  const rowOf = (id) => document.querySelector(`#unit-panel .unit-row[data-unit="${id}"]`);
  // Units in text order, as the panel lists them.
  const unitIds = () => [...document.querySelectorAll("#unit-panel .unit-row")].map((row) => row.dataset.unit);
  const labelButtons = () => [...root.querySelectorAll(".legend [data-label]")];
  const relationKeys = () => [...root.querySelectorAll(".legend [data-relation-type]")];
  // The layer's revision and status, as the last answer left them (every answer swaps
  // this element in), so the page never sends a change from an older state.
  const layerState = () => document.getElementById("layer-revision");
  const finished = () => layerState().dataset.status === "finished";
  // Suggestions are ghosts in the text (mark.ghost, never a unit), listed in the panel.
  const ghosts = () => [...document.querySelectorAll("#article-text mark.ghost[id]")];
  const ghostOf = (id) => (id ? ghosts().find((ghost) => ghost.dataset.suggestion === id) : null);
  // A suggested relation has no ghost in the text: its dashed arc, and its panel row.
  const ghostLinkOf = (id) =>
    id ? [...document.querySelectorAll("#unit-panel .ghost-link-row")].find((row) => row.dataset.suggestion === id) : null;
  const chosenGhost = () => ghostOf(state.suggestion) || ghostLinkOf(state.suggestion);
  const relationRow = (id) =>
    [...document.querySelectorAll("#unit-panel .relation-row")].find((row) => row.dataset.relation === id);
  // Clicking an arc chooses its relation; Delete then deletes it. A dashed arc ("s7")
  // chooses its suggested relation, for Enter / a / x as a ghost chosen with Tab.
  const arcs =
    new URLSearchParams(window.location.search).get("arcs") === "off"
      ? null
      : startArcs({
          frame: textElement().parentElement,
          onChoose: (id) =>
            act(() => state.mode === "normal" && (id.startsWith("s") ? chooseSuggestedLink(id.slice(1)) : chooseRelation(id))),
        });

  // --- Selection → offsets -------------------------------------------------------

  // The selection's [start, end) in the article text, in UTF-16 code units, or null.
  function selectedOffsets() {
    const selection = window.getSelection();
    if (!selection.rangeCount || selection.isCollapsed) return null;
    const text = textElement();
    const range = selection.getRangeAt(0).cloneRange();
    if (!range.intersectsNode(text)) return null;
    const whole = document.createRange();
    whole.selectNodeContents(text);
    if (range.compareBoundaryPoints(Range.START_TO_START, whole) < 0) range.setStart(whole.startContainer, 0);
    if (range.compareBoundaryPoints(Range.END_TO_END, whole) > 0) range.setEnd(whole.endContainer, whole.endOffset);
    const before = document.createRange();
    before.setStart(text, 0);
    before.setEnd(range.startContainer, range.startOffset);
    const start = before.toString().length;
    const end = start + range.toString().length;
    return end > start ? { start, end } : null;
  }

  // Shift+→ / Shift+← select by word from the keyboard, starting after the chosen unit
  // (or at the top of the text).
  function extendSelection(direction) {
    const selection = window.getSelection();
    if (!selectedOffsets()) {
      const marks = state.unit ? marksOf(state.unit) : [];
      const anchor = marks.length ? marks[marks.length - 1] : textElement();
      const range = document.createRange();
      if (marks.length) range.setStartAfter(anchor);
      else range.setStart(anchor, 0);
      range.collapse(true);
      selection.removeAllRanges();
      selection.addRange(range);
    }
    selection.modify("extend", direction, "word");
  }

  // --- Turns ----------------------------------------------------------------------

  // A key or click acts on the layer as the annotator would see it had they waited for
  // every change before it to be answered and drawn, the panel too: as if typed
  // slowly. So while a change is on its way, or the panel is being redrawn after one,
  // the keys and clicks that follow wait their turn, in order. What a key needs from
  // the moment it was pressed it keeps (the selection); the rest it finds when its turn
  // comes, such as the chosen unit, which is by then the unit the change before it made.
  // A change refused or failed lets go of those waiting: they counted on it.
  let sending = 0; // changes sent from the workspace and not yet answered (or given up)
  let redrawing = 0; // panel refreshes on their way
  const waiting = [];

  const busy = () => sending > 0 || redrawing > 0 || waiting.length > 0;

  // Run `step` now, or when its turn comes: `step(later)` knows which.
  function act(step) {
    if (busy()) waiting.push(() => step(true));
    else step(false);
  }

  function nextTurns() {
    if (sending || redrawing || !waiting.length) return;
    paint(); // as the answers left the page (it is painted again when they settle)
    while (!sending && !redrawing && waiting.length) {
      const step = waiting.shift();
      try {
        step();
      } catch (error) {
        reportError(error); // the keys after it still take their turns
      }
    }
  }

  // A change has its answer, or has been given up.
  function settle(xhr) {
    sending -= 1;
    if (waiting.length && (!xhr || xhr.status >= 400 || toLogIn(xhr))) {
      const count = waiting.splice(0).length;
      const note = document.createElement("p");
      note.className = "message warning";
      note.textContent =
        count === 1
          ? "The key or click after it waited for it, and was not applied."
          : `The ${count} keys or clicks after it waited for it, and were not applied.`;
      document.getElementById("workspace-message").append(note);
    }
    nextTurns();
  }

  const refreshesPanel = (detail) =>
    detail.requestConfig?.verb === "get" && detail.target === document.getElementById("unit-panel");
  document.body.addEventListener("htmx:beforeRequest", (event) => {
    if (refreshesPanel(event.detail)) redrawing += 1;
  });
  document.body.addEventListener("htmx:afterRequest", (event) => {
    if (!refreshesPanel(event.detail)) return;
    redrawing -= 1;
    nextTurns();
  });

  // --- Talking to the server -----------------------------------------------------

  // Every change the workspace makes goes out here, and only here: a key's, a button's
  // (intercepted at htmx:confirm below) and a change sent again after it got no answer.
  // It is one htmx request from the workspace element, so it carries the revision
  // #layer-revision shows when it goes out (hx-include) and waits for the one before it
  // (hx-sync), and its answer swaps in the new revision and the lines it redrew by their
  // ids (or what the button's hx-target and hx-swap say). `values` are the change's own
  // fields. A retry (`attempt` 1, 2, …) carries the values the first copy went out with,
  // the revision among them (they override the one hx-include reads now), and the
  // X-Annotate-Retry header; it is the same change, so it is not counted again.
  // Why not hx-post on the buttons alone: htmx drops a queued request whose element an
  // earlier answer has redrawn, keys have no element, and htmx has no way to send a
  // request again with the values of the first copy; see "How a change travels" in
  // docs/architecture.md.
  function send(url, { values = {}, target, swap, attempt = 0 } = {}) {
    if (!attempt) sending += 1;
    const headers = attempt ? { [RETRY_HEADER]: String(attempt) } : {};
    // A change that gets no answer is handled at htmx:afterRequest, so the promise
    // htmx.ajax rejects then is no uncaught error of the page's.
    htmx.ajax("POST", url, { source: root, target, swap, values, headers }).catch(() => {});
  }

  const change = (url, values = {}) => send(url, { values });
  const unitUrl = (id, action) => `${root.dataset.unitsUrl}${id}/${action}/`;

  // A key or click that uses the selection lets go of it; one that waited its turn
  // let go of it when it was pressed (the selection now may be a newer one).
  function letGoOfSelection(later) {
    if (!later) window.getSelection().removeAllRanges();
  }

  // A label's key or button: make the selection (`offsets`, as it was when the key was
  // pressed) a unit of that label, or relabel the chosen unit.
  function applyLabel(labelId, offsets, later) {
    if (offsets || !state.unit) {
      letGoOfSelection(later);
      change(root.dataset.unitsUrl, { label: labelId, ...offsets });
    } else change(unitUrl(state.unit, "label"), { label: labelId });
  }

  function changeSpans(mode, offsets, later) {
    if (!state.unit) return say("Choose a unit first (click it, or step with ] and [).");
    letGoOfSelection(later);
    change(unitUrl(state.unit, "spans"), { mode, ...offsets });
  }

  function setAttribute(digit) {
    if (!state.unit) return;
    const button = labelButtons().find((b) => b.dataset.label === labelOf(state.unit));
    if (!button?.dataset.attributeName) return say("This unit’s label has no attribute to set.");
    const values = button.dataset.attributeValues.split("|");
    const value = values[digit - 1];
    if (value === undefined) return say(`Press 1 to ${values.length} for ${values.join(", ")}.`);
    const current = rowOf(state.unit)?.querySelector(`[data-action="attribute"].on`)?.textContent.trim();
    change(unitUrl(state.unit, "attribute"), { name: button.dataset.attributeName, value: current === value ? "" : value });
  }

  // --- The chosen unit's note --------------------------------------------------------

  // The note box shows the chosen unit's note, from its panel row (or its mark's title
  // while the panel catches up); what the annotator has typed and not saved is kept,
  // unless they choose another unit. Saving is a change like any key's, in its turn.
  const noteForm = document.getElementById("note-form");
  const noteText = document.getElementById("note-text");
  let noteShown = { unit: null, note: "" }; // what the box was last filled with

  function noteOf(id) {
    const row = rowOf(id);
    if (row) return row.querySelector(".unit-note .note-text")?.textContent ?? "";
    const title = document.getElementById(`u-${id}`)?.title ?? "";
    return title.replace(/^Note: /, "");
  }

  function paintNote() {
    if (!noteForm) return;
    const id = state.mode === "normal" ? state.unit : null;
    const open = Boolean(id) && !finished();
    noteForm.querySelector("button").disabled = !open;
    noteText.disabled = !open;
    document.getElementById("note-unit").textContent = id
      ? `On ${unitName(id)}`
      : finished()
        ? "Finished: read-only until reopened."
        : "Choose a unit to write a note on it.";
    const note = id ? noteOf(id) : "";
    const typed = noteText.value.trim();
    if (id !== noteShown.unit || typed === noteShown.note || typed === note) {
      noteText.value = note;
      noteShown = { unit: id, note };
    }
  }

  function writeNote() {
    if (!state.unit) return say("Choose a unit first (click it, or step with ] and [), then Shift+N writes its note.");
    if (finished()) return;
    noteText.focus();
  }

  noteForm?.addEventListener("submit", (event) => {
    event.preventDefault();
    const id = noteShown.unit;
    if (!id) return;
    const note = noteText.value;
    act(() => change(unitUrl(id, "note"), { note }));
  });
  noteText?.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.preventDefault();
      textElement().focus();
    } else if (event.key === "Enter" && event.ctrlKey) {
      event.preventDefault();
      noteForm.requestSubmit();
    }
  });

  // --- Choosing units and linking them ---------------------------------------------

  function choose(id, { scroll = false } = {}) {
    state.unit = id;
    state.relation = null;
    if (!ghostOf(state.suggestion)) state.suggestion = null; // a suggested relation chosen by its arc
    if (scroll && id) bringIntoView(id);
    paint();
  }

  // Scroll a unit to the middle of the window: smoothly, unless the annotator's system
  // asks for reduced motion.
  function bringIntoView(id) {
    const behavior = window.matchMedia("(prefers-reduced-motion: reduce)").matches ? "instant" : "smooth";
    marksOf(id)[0]?.scrollIntoView({ block: "center", behavior });
  }

  function chooseRelation(id) {
    state.unit = null;
    state.relation = id;
    state.suggestion = null;
    paint();
  }

  function chooseSuggestedLink(id) {
    if (!ghostLinkOf(id)) return;
    if (document.activeElement?.closest?.("#article-text mark.ghost")) textElement().focus({ preventScroll: true });
    state.unit = state.relation = null;
    state.suggestion = id;
    paint();
  }

  function step(delta, current) {
    const ids = unitIds();
    if (!ids.length) return null;
    const index = ids.indexOf(current);
    if (index === -1) return delta > 0 ? ids[0] : ids[ids.length - 1];
    return ids[(index + delta + ids.length) % ids.length];
  }

  function startLink() {
    if (!relationKeys().length) return; // a scheme without relation types has no linking
    if (!state.unit) return say("Choose the unit the relation starts from first.");
    state.mode = "target";
    state.source = state.unit;
    state.target = null;
    paint();
  }

  function pickTarget(id) {
    if (id === state.source) return say("A unit cannot be linked to itself: choose another one.");
    state.target = id;
    state.mode = "type";
    paint();
  }

  function link(typeId) {
    change(root.dataset.relationsUrl, { source: state.source, target: state.target, type: typeId });
    cancel();
  }

  function cancel() {
    state.mode = "normal";
    state.source = state.target = null;
    paint();
  }

  // --- Suggestions --------------------------------------------------------------------

  // Accept or reject the chosen suggestion (or accept all in its paragraph): a change
  // like any other; when it is answered the next suggestion is chosen.
  // `values`: what the action sends besides (accepting with a label key: the label).
  function decide(ghost, action, values = {}) {
    const id = ghost.dataset.suggestion;
    const all = ghosts();
    const at = all.indexOf(ghost); // -1 for a suggested relation: then the ghosts in text order
    const then = at < 0 ? all : [...all.slice(at + 1), ...all.slice(0, at).reverse()];
    state.then = then.map((each) => each.dataset.suggestion);
    if (action === "accept-all") change(`${root.dataset.suggestionsUrl}accept-all/`, { suggestion: id });
    else change(`${root.dataset.suggestionsUrl}${id}/${action}/`, values);
    return true;
  }

  function chooseSuggestion(id, { scroll = false } = {}) {
    const ghost = ghostOf(id);
    if (!ghost) return;
    ghost.focus({ preventScroll: !scroll });
    if (scroll) ghost.scrollIntoView({ block: "nearest" });
  }

  // A ghost with focus is the chosen suggestion (Tab and Shift+Tab go from one to the next).
  document.addEventListener("focusin", (event) => {
    const ghost = event.target.closest?.("#article-text mark.ghost");
    const was = state.suggestion;
    state.suggestion = ghost ? ghost.dataset.suggestion : null;
    if (ghost) state.unit = state.relation = null;
    if (was !== state.suggestion) paint();
  });

  // After a suggestion was accepted or rejected: the next one still shown.
  function chooseNext(detail) {
    const then = state.then;
    if (!then || detail.requestConfig?.verb !== "post") return;
    state.then = null;
    if (detail.xhr.status >= 300) return;
    const next = [state.suggestion, ...then].find((id) => ghostOf(id));
    if (next) chooseSuggestion(next, { scroll: true });
  }

  // Marks, rows and the hint line follow the state.
  function paint() {
    for (const element of document.querySelectorAll(".is-selected, .is-linked, .is-related, .is-candidate")) {
      element.classList.remove("is-selected", "is-linked", "is-related", "is-candidate");
    }
    if (state.unit && !rowOf(state.unit) && !marksOf(state.unit).length) state.unit = null;
    const relation = state.relation && relationRow(state.relation);
    if (!relation) state.relation = null;
    else {
      relation.classList.add("is-selected");
      for (const end of [relation.dataset.source, relation.dataset.target]) {
        marksOf(end).forEach((mark) => mark.classList.add("is-linked"));
      }
    }
    const id = state.mode === "normal" ? state.unit : state.source;
    if (id) {
      marksOf(id).forEach((mark) => mark.classList.add("is-selected"));
      rowOf(id)?.classList.add("is-selected");
      for (const relation of document.querySelectorAll(`.relation-row[data-source="${id}"], .relation-row[data-target="${id}"]`)) {
        relation.classList.add("is-related");
        const other = relation.dataset.source === id ? relation.dataset.target : relation.dataset.source;
        marksOf(other).forEach((mark) => mark.classList.add("is-linked"));
      }
    }
    const ghost = chosenGhost();
    if (ghost) {
      ghost.classList.add("is-selected");
      const rows = document.querySelectorAll("#unit-panel .suggestion-row, #unit-panel .ghost-link-row");
      [...rows].find((row) => row.dataset.suggestion === state.suggestion)?.classList.add("is-selected");
    }
    if (state.target) {
      marksOf(state.target).forEach((mark) => mark.classList.add("is-candidate"));
      rowOf(state.target)?.classList.add("is-candidate");
    }
    hint.textContent = hintText();
    // One line while a suggestion is chosen: a click that lets go of it must not find the text moved.
    hint.classList.toggle("one-line", Boolean(chosenGhost()));
    paintNote();
    arcs?.show(
      state.mode === "normal"
        ? { unit: state.unit, relation: state.relation || (ghostLinkOf(state.suggestion) ? `s${state.suggestion}` : null) }
        : { source: state.source, target: state.target },
    );
  }

  // A unit's label and quote: from the panel row, or from the unit's first mark while
  // the panel catches up.
  function unitName(id) {
    const short = (quote) => (quote.length > 48 ? `${quote.slice(0, 47)}…` : quote);
    const row = rowOf(id);
    if (row) return `${row.querySelector(".unit-label").textContent} “${short(row.querySelector(".quote").textContent)}”`;
    const mark = document.getElementById(`u-${id}`);
    return mark ? `${mark.dataset.tag.split(" · ")[0]} “${short(mark.textContent)}”` : "";
  }

  function hintText() {
    const name = unitName;
    if (state.mode === "target") {
      return `Linking from ${name(state.source)}: click the target unit, or step with ] and [ and press Enter. Esc cancels.`;
    }
    if (state.mode === "type") {
      const keys = relationKeys().map((k) => `${k.dataset.key} ${k.textContent.trim().replace(/\s+\S+$/, "")}`);
      return `${name(state.source)} → ${name(state.target)}: press ${keys.join(", ")}. Esc cancels.`;
    }
    if (state.relation) {
      const row = relationRow(state.relation);
      const relation = `${row.querySelector(".relation-name").textContent.trim()}: ${name(row.dataset.source)} → ${name(row.dataset.target)}`;
      return editable && !finished() ? `${relation} — Delete deletes it, Esc lets go.` : relation;
    }
    if (!editable) return state.unit ? name(state.unit) : "";
    if (finished()) return "Finished: read-only until reopened.";
    const ghost = chosenGhost();
    if (ghost?.matches(".ghost-link-row")) {
      const link = ghost.querySelector(".ghost-link-text").textContent.replace(/\s+/g, " ").trim();
      return `Suggested relation: ${link} — Enter or a accepts, x rejects, Esc lets go.`;
    }
    if (ghost) {
      return `Enter or a accepts, a label key accepts with that label, x rejects, Shift+A accepts its paragraph, Tab goes on — ${ghost.getAttribute("aria-label")}`;
    }
    if (state.unit) return `${name(state.unit)} — ${unitKeys(state.unit)}`;
    return "Select text and press a label’s key (or click the label).";
  }

  // What the keys do to the chosen unit, from the project's scheme.
  function unitKeys(id) {
    const parts = ["label key relabels"];
    const button = labelButtons().find((b) => b.dataset.label === labelOf(id));
    if (button?.dataset.attributeName) {
      const values = button.dataset.attributeValues.split("|");
      parts.push(`${values.map((value, index) => `${index + 1} ${value}`).join(", ")} (${button.dataset.attributeName})`);
    }
    if (relationKeys().length) parts.push("l links");
    parts.push("e / + set or add a span", "Shift+N writes a note", "Delete deletes", "Esc lets go.");
    return parts.join(", ");
  }

  // A unit's label, from its mark (which the answer to a change brings at once; the
  // panel row follows with its own request).
  function labelOf(id) {
    return /\blabel-(\d+)\b/.exec(marksOf(id)[0]?.className ?? "")?.[1];
  }

  function clearMessage() {
    document.getElementById("workspace-message").replaceChildren();
  }

  function say(text) {
    tell(text, null, "warning");
  }

  // A message in the bar, with a link that does what it says to do, and (for an error)
  // a Dismiss button.
  function tell(text, action = null, kind = "error") {
    const box = document.getElementById("workspace-message");
    const message = document.createElement("p");
    message.className = `message ${kind}`;
    message.textContent = text;
    if (action) message.append(" ", action);
    if (kind === "error") {
      const dismiss = document.createElement("button");
      dismiss.type = "button";
      dismiss.className = "link";
      dismiss.dataset.dismiss = "";
      dismiss.textContent = "Dismiss";
      message.append(" ", dismiss);
    }
    box.replaceChildren(message);
  }

  function anchor(text, href) {
    const element = document.createElement("a");
    element.className = "button";
    element.href = href;
    element.textContent = text;
    return element;
  }

  const reloadLink = () => anchor("Reload", window.location.pathname + window.location.search);
  const loginLink = () => anchor("Log in", `${root.dataset.loginUrl}?next=${encodeURIComponent(window.location.pathname)}`);

  // --- When a change gets no answer ----------------------------------------------

  // What only the page can say: the server did not answer, or answered without a
  // message of its own, or no longer knows who is asking.
  const NO_ANSWER = "The server did not answer; your change was not saved. Retrying…";
  const GAVE_UP = "The server still does not answer; your change was not saved. Try again when it is back, or reload.";
  const SERVER_ERROR = "Something went wrong on the server; your change was not saved. Try again, or reload.";
  const LOGGED_OUT =
    "You are no longer logged in here (perhaps you logged in or out in another tab). Log in again, then reload.";
  const MAYBE_SAVED = "This change may have been saved; reload to see.";

  // A change that gets no answer (or a proxy's 502, 503 or 504 instead of the app's)
  // goes again through `send`, with the values it carried (the same revision), after a
  // growing pause: if an earlier copy was applied after all, the server refuses this one
  // as stale instead of applying it twice. Until it is answered (or given up) it still
  // counts as sending, so the keys and clicks behind it wait their turn in the queue.
  const RETRY_HEADER = "X-Annotate-Retry";
  const RETRY_PAUSES = [1000, 2000, 4000, 8000, 15000];
  const GATEWAY_FAILURES = [502, 503, 504];
  let retry = null;

  const isChange = (detail) => (detail.verb ?? detail.requestConfig?.verb) !== "get";
  const isRetry = (headers) => Boolean(headers?.[RETRY_HEADER]);
  const unanswered = (xhr) => xhr.status === 0 || GATEWAY_FAILURES.includes(xhr.status);
  // A request made without a session is sent to the log-in page (and the browser follows).
  const toLogIn = (xhr) => Boolean(xhr.responseURL) && new URL(xhr.responseURL).pathname === root.dataset.loginUrl;

  function sendAgain({ requestConfig: config, etc }) {
    retry ??= {
      url: config.path,
      target: config.target,
      swap: etc?.swapOverride ?? config.elt.closest("[hx-swap]")?.getAttribute("hx-swap"),
      values: Object.fromEntries(config.formData),
      attempt: 0,
    };
    if (retry.attempt === RETRY_PAUSES.length) {
      tell(GAVE_UP, reloadLink());
      retry = null;
      settle(null);
      return;
    }
    tell(NO_ANSWER, null, "warning");
    setTimeout(() => {
      retry.attempt += 1;
      const { url, target, swap, values, attempt } = retry;
      send(url, { values, target, swap, attempt });
    }, RETRY_PAUSES[retry.attempt]);
  }

  // A button's change (Undo, a panel button, finish, the op-ed stance) is sent from the
  // workspace like a key's, so that it keeps its place in the queue (htmx drops a
  // queued request whose element an earlier answer has redrawn meanwhile), and its turn
  // among the keys.
  document.body.addEventListener("htmx:confirm", (event) => {
    const { elt, path } = event.detail;
    if (!isChange(event.detail) || elt === root || !root.contains(elt)) return;
    event.preventDefault();
    // Its own values only: the revision is read when the change goes out (hx-include).
    const fields = elt instanceof HTMLFormElement ? Object.fromEntries(new FormData(elt)) : {};
    const values = { ...fields, ...JSON.parse(elt.getAttribute("hx-vals") || "{}") };
    const target = elt.closest("[hx-target]")?.getAttribute("hx-target") || root;
    const swap = elt.closest("[hx-swap]")?.getAttribute("hx-swap");
    act(() => send(path, { values, target, swap }));
  });
  document.body.addEventListener("htmx:afterRequest", (event) => {
    const { detail } = event;
    if (!isChange(detail) || detail.elt !== root) return;
    if (unanswered(detail.xhr)) return sendAgain(detail); // still on its way
    retry = null;
    settle(detail.xhr);
  });
  // A change that hangs counts as unanswered (and is sent again) after a while; a panel
  // refresh that hangs is given up, so that the keys waiting for it take their turns.
  document.body.addEventListener("htmx:configRequest", (event) => {
    const { detail } = event;
    if (detail.verb !== "get" || detail.target === document.getElementById("unit-panel")) detail.timeout = 20000;
  });

  // A refusal (409, 404, 422) is a message for #workspace-message (HX-Retarget), swapped
  // as htmx's responseHandling says; except that a change sent again and refused as
  // stale was most likely applied the first time, its answer lost. The log-in page is
  // never swapped in.
  document.body.addEventListener("htmx:beforeSwap", (event) => {
    const { detail } = event;
    if (toLogIn(detail.xhr)) {
      detail.shouldSwap = false;
      detail.isError = true; // htmx:responseError says what to do
    } else if (isRetry(detail.requestConfig?.headers) && detail.xhr.status === 409) {
      detail.shouldSwap = false;
      tell(MAYBE_SAVED, reloadLink(), "warning");
    }
  });
  document.body.addEventListener("htmx:responseError", (event) => {
    const { xhr } = event.detail;
    if (xhr.status === 403 || toLogIn(xhr)) tell(LOGGED_OUT, loginLink());
    else if (isChange(event.detail) && !unanswered(xhr)) tell(SERVER_ERROR, reloadLink());
  });

  // --- Events ------------------------------------------------------------------------

  // What a key does, when its turn comes: `press` is the key (key, ctrl, shift), the
  // selection when it was pressed (offsets) and whether it waited (later). False for a
  // key left to the browser.
  function keyDown({ key, ctrl, shift, offsets, later }) {
    if (ctrl) {
      if (!editable) return false;
      if (key.toLowerCase() === "z" && !shift) change(root.dataset.undoUrl);
      else if (key.toLowerCase() === "y" || (key.toLowerCase() === "z" && shift)) change(root.dataset.redoUrl);
      else return false;
      return true;
    }
    if (key === "Escape") {
      if (state.mode !== "normal") cancel();
      else {
        letGoOfSelection(later);
        choose(null);
      }
      return false;
    }
    if (state.mode === "target") {
      if (key === "]" || key === "[") {
        state.target = step(key === "]" ? 1 : -1, state.target || state.source);
        if (state.target === state.source) state.target = step(key === "]" ? 1 : -1, state.target);
        bringIntoView(state.target);
        paint();
      } else if (key === "Enter" && state.target) pickTarget(state.target);
      else return false;
      return true;
    }
    if (state.mode === "type") {
      const type = relationKeys().find((k) => k.dataset.key === key.toLowerCase());
      if (type) link(type.dataset.relationType);
      return true;
    }
    if (key === "]" || key === "[") {
      choose(step(key === "]" ? 1 : -1, state.unit), { scroll: true });
      return true;
    }
    if (!editable) return false;
    // With a suggestion chosen its keys come first: a label key there has no unit to act on.
    const ghost = chosenGhost();
    if (ghost && !finished()) {
      if (key === "Enter" || (key === "a" && !shift)) return decide(ghost, "accept");
      if (key === "x" && !shift) return decide(ghost, "reject");
      if (key === "A" && shift && !ghost.matches(".ghost-link-row")) return decide(ghost, "accept-all");
      // A label key takes a suggested unit's words with that label.
      const relabel = labelButtons().find((b) => b.dataset.key === key);
      if (relabel && !shift && ghostOf(state.suggestion)) {
        return decide(ghost, "accept", { label: relabel.dataset.label });
      }
    }
    if (key === "N" && shift) {
      writeNote();
      return true;
    }
    const label = labelButtons().find((b) => b.dataset.key === key.toLowerCase());
    if (label && !shift) applyLabel(label.dataset.label, offsets, later);
    else if (/^[1-9]$/.test(key)) setAttribute(Number(key));
    else if ((key === "Delete" || key === "Backspace") && state.relation) {
      change(`${root.dataset.relationsUrl}${state.relation}/delete/`);
    } else if ((key === "Delete" || key === "Backspace") && state.unit) change(unitUrl(state.unit, "delete"));
    else if (key === "l") startLink();
    else if (key === "e") changeSpans("replace", offsets, later);
    else if (key === "+") changeSpans("add", offsets, later);
    else return false;
    return true;
  }

  // Whether a key pressed while others wait is one to wait with them: any key that
  // does something in some mode (Enter only where it presses no button).
  function waitsItsTurn({ key, ctrl, shift }, target) {
    const lower = key.toLowerCase();
    if (ctrl) return editable && (lower === "z" || lower === "y");
    if (["Escape", "]", "["].includes(key)) return true;
    if (key === "Enter") return !target.closest("button, a, summary");
    if (editable && ghosts().length && ["a", "x", "A"].includes(key)) return true;
    if (relationKeys().some((k) => k.dataset.key === lower)) return true;
    if (!editable) return false;
    return (
      (!shift && labelButtons().some((b) => b.dataset.key === lower)) ||
      (shift && key === "N") ||
      /^[1-9]$/.test(key) ||
      ["Delete", "Backspace", "l", "e", "+"].includes(key)
    );
  }

  // Keys that use the selection: it goes when they are pressed.
  const usesSelection = ({ key, ctrl, shift }) =>
    !ctrl &&
    (key === "Escape" ||
      key === "e" ||
      key === "+" ||
      (!shift && labelButtons().some((b) => b.dataset.key === key.toLowerCase())));

  document.addEventListener("keydown", (event) => {
    if (event.target.closest("input, select, textarea") || event.altKey || event.metaKey) return;
    const key = event.key;
    if (!["Shift", "Control", "Alt", "Meta"].includes(key)) clearMessage(); // a message lasts until the next key
    // The selection moves at once: the keys that use it take it as it is when pressed.
    if (event.shiftKey && !event.ctrlKey && (key === "ArrowRight" || key === "ArrowLeft")) {
      extendSelection(key === "ArrowRight" ? "right" : "left"); // by the paragraph's direction, as the browser goes
      event.preventDefault();
      return;
    }
    const press = { key, ctrl: event.ctrlKey, shift: event.shiftKey, offsets: selectedOffsets(), later: false };
    if (!busy()) {
      if (keyDown(press)) event.preventDefault();
      return;
    }
    if (!waitsItsTurn(press, event.target)) return;
    if (key !== "Escape") event.preventDefault();
    if ((press.offsets || key === "Escape") && usesSelection(press)) window.getSelection().removeAllRanges();
    waiting.push(() => keyDown({ ...press, later: true }));
  });

  // A label button keeps the text selection (no focus change on mousedown).
  root.addEventListener("mousedown", (event) => {
    if (event.target.closest(".legend [data-label]")) event.preventDefault();
  });

  // The buttons that change the layer are hx-post elements; a click here chooses a
  // unit, gives a label (which needs the selection) or dismisses a message. Choosing
  // and labelling wait their turn, as keys do.
  root.addEventListener("click", (event) => {
    const target = event.target;
    const labelButton = target.closest(".legend [data-label]");
    const pick = target.closest(".unit-pick, [data-unit-link]");
    const mark = target.closest("#article-text mark[data-unit]");
    if (target.closest("[data-dismiss]")) {
      clearMessage();
    } else if (target.closest(".suggestion-pick")) {
      const id = target.closest(".suggestion-pick").dataset.suggestion;
      act(() => chooseSuggestion(id, { scroll: true }));
    } else if (labelButton) {
      const offsets = selectedOffsets();
      if (offsets && busy()) window.getSelection().removeAllRanges();
      act((later) => applyLabel(labelButton.dataset.label, offsets, later));
    } else if (pick || mark) {
      if (mark && !window.getSelection().isCollapsed) return; // the end of a drag, not a click
      event.preventDefault();
      const id = (pick || mark).dataset.unit || pick.dataset.unitLink;
      const around = mark?.parentElement.closest("mark[data-unit]")?.dataset.unit;
      act(() => {
        // Clicking the chosen unit again chooses the unit around it (overlapping units).
        const chosen = around && id === state.unit ? around : id;
        if (state.mode === "target") pickTarget(chosen);
        else choose(chosen, { scroll: !mark });
      });
    }
  });

  // Back and Forward may show this page from the browser's memory, older than the
  // layer: load it afresh instead.
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) window.location.reload();
  });
  // The server names the unit a change made, so it is chosen and ready for the next key.
  document.body.addEventListener("layer-changed", (event) => {
    if (event.detail?.unit) state.unit = String(event.detail.unit);
  });
  document.body.addEventListener("htmx:afterSettle", (event) => {
    chooseNext(event.detail);
    paint();
  });

  const linked = /^#u-(\d+)$/.exec(window.location.hash);
  if (linked) choose(linked[1], { scroll: true });
  else paint();
}
