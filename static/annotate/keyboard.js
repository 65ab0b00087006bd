// The workspace from the keyboard alone: a caret in the article text that the arrow
// keys move and, with Shift, extend into a selection (which the label keys of
// workspace.js then make a unit); the target named while linking; and focus put back
// in a sensible place after every answer that redraws part of the page.
// Offsets kept here are UTF-16 code units into the article text, as workspace.js
// sends them: the text never changes, so an offset outlives the lines redrawn around it.

const root = document.getElementById("workspace");
const text = document.getElementById("article-text");
if (root && text) start(root, text);

function start(root, text) {
  text.tabIndex = 0;
  text.setAttribute("role", "region");
  text.setAttribute("aria-label", "Article text: arrows move a caret, Shift+arrows select");

  // Chromium draws no caret in text that cannot be edited: this one is drawn instead.
  const caret = document.createElement("div");
  caret.className = "text-caret";
  caret.setAttribute("aria-hidden", "true");
  caret.hidden = true;
  document.body.append(caret);

  // --- Offsets and points ----------------------------------------------------------

  const whole = () => {
    const range = document.createRange();
    range.selectNodeContents(text);
    return range;
  };

  function offsetOf(node, offset) {
    const range = document.createRange();
    range.setStart(text, 0);
    range.setEnd(node, offset);
    return range.toString().length;
  }

  // The point at an offset, inside a text node: at the start of the later node where
  // two meet (so a caret after a unit stands outside its mark).
  function pointAt(offset) {
    const walker = document.createTreeWalker(text, NodeFilter.SHOW_TEXT);
    let node;
    let last = null;
    let seen = 0;
    while ((node = walker.nextNode())) {
      if (offset < seen + node.length) return [node, Math.max(0, offset - seen)];
      seen += node.length;
      last = node;
    }
    return last ? [last, last.length] : [text, 0];
  }

  const inText = (node) => Boolean(node) && text.contains(node);

  // The selection as offsets ({anchor, focus}), when it lies in the text.
  function selectionOffsets() {
    const selection = window.getSelection();
    if (!selection.rangeCount || !inText(selection.anchorNode) || !inText(selection.focusNode)) return null;
    return {
      anchor: offsetOf(selection.anchorNode, selection.anchorOffset),
      focus: offsetOf(selection.focusNode, selection.focusOffset),
    };
  }

  function select(anchor, focus = anchor) {
    const [anchorNode, anchorOffset] = pointAt(anchor);
    const [focusNode, focusOffset] = pointAt(focus);
    window.getSelection().setBaseAndExtent(anchorNode, anchorOffset, focusNode, focusOffset);
  }

  // Just after a unit's last piece, or null when the text does not show it.
  function afterUnit(id) {
    const marks = text.querySelectorAll(`mark[data-unit="${CSS.escape(String(id))}"]`);
    if (!marks.length) return null;
    const range = document.createRange();
    range.setStartAfter(marks[marks.length - 1]);
    return offsetOf(range.startContainer, range.startOffset);
  }

  // Where the caret goes when the text gets focus without one: after the chosen unit,
  // else where it was last, else at the start of the text.
  let last = null; // the last point the selection's focus had in the text
  // The annotator's moves of the caret (keys and clicks in the text), counted, and the
  // count when a key last let go of the selection (leaving the caret where it ended).
  let moves = 0;
  let movesWhenLetGo = -1;
  function defaultCaret() {
    const chosen = text.querySelector("mark.is-selected[data-unit]");
    const after = chosen ? afterUnit(chosen.dataset.unit) : null;
    if (after !== null) return after;
    if (last?.node.isConnected && inText(last.node)) return offsetOf(last.node, last.offset);
    return 0;
  }

  // --- The caret -----------------------------------------------------------------

  // The caret's box at an offset: at the leading edge of the character after it, or (at
  // the end of the text, or after End, where a wrapped line's end and the next line's
  // start are the same offset) at the trailing edge of the character before it. A
  // character's leading edge is its left in a left-to-right run, its right in a
  // right-to-left one (an Arabic or Hebrew word).
  let upstream = false;
  function charBox(offset, edge) {
    const [node, at] = pointAt(offset);
    if (node.nodeType !== Node.TEXT_NODE || at >= node.length) return null;
    const range = document.createRange();
    const code = node.data.charCodeAt(at);
    range.setStart(node, at);
    range.setEnd(node, Math.min(node.length, at + (code >= 0xd800 && code <= 0xdbff ? 2 : 1)));
    const boxes = [...range.getClientRects()].filter((box) => box.height > 0);
    const box = edge === "leading" ? boxes[0] : boxes[boxes.length - 1];
    if (!box) return null;
    const left = (edge === "leading") === (runDirection(node, at) === "rtl") ? box.right : box.left;
    return { left, top: box.top, height: box.height };
  }

  // --- Direction -------------------------------------------------------------------

  // Each line of the text is a paragraph with the direction of its first strong
  // character (dir="auto"). Within it, a character runs right to left when it is a
  // letter of a right-to-left script, left to right when it is any other letter or a
  // digit (Arabic-Indic digits too: numbers read left to right); white space and
  // punctuation take the direction of the strong characters on both sides of them when
  // those agree, else the paragraph's (the Unicode bidirectional algorithm's rule N1).
  const RTL = /[\p{Script=Arabic}\p{Script=Hebrew}\p{Script=Syriac}\p{Script=Thaana}\p{Script=Nko}\p{Script=Samaritan}\p{Script=Mandaic}\p{Script=Adlam}\p{Script=Hanifi_Rohingya}\p{Script=Yezidi}]/u;
  const strong = (character) => {
    if (/\p{Nd}/u.test(character)) return "ltr";
    if (RTL.test(character)) return "rtl";
    return /\p{L}/u.test(character) ? "ltr" : null;
  };
  const lineOf = (node) => (node.nodeType === Node.ELEMENT_NODE ? node : node.parentElement)?.closest(".line");
  const paragraphDirection = (node) => {
    const line = lineOf(node);
    return line ? getComputedStyle(line).direction : "ltr";
  };
  function runDirection(node, at) {
    const own = strong(node.data[at]);
    if (own) return own;
    const line = lineOf(node);
    const content = line ? line.textContent : node.data;
    let index = at;
    if (line) {
      const range = document.createRange();
      range.setStart(line, 0);
      range.setEnd(node, at);
      index = range.toString().length;
    }
    let before = null;
    for (let i = index - 1; i >= 0 && !before; i -= 1) before = strong(content[i]);
    let after = null;
    for (let i = index + 1; i < content.length && !after; i += 1) after = strong(content[i]);
    return before && before === after ? before : paragraphDirection(node);
  }

  function boxAt(offset) {
    const before = () => {
      if (offset === 0) return null;
      const [node, at] = pointAt(offset - 1);
      if (node.nodeType === Node.TEXT_NODE && node.data[at] === "\n") return null;
      // The character before may be the second half of a surrogate pair.
      const low = node.nodeType === Node.TEXT_NODE && at > 0 && /[\udc00-\udfff]/.test(node.data[at]);
      return charBox(offset - (low ? 2 : 1), "trailing");
    };
    return (upstream && before()) || charBox(offset, "leading") || before();
  }

  function drawCaret() {
    const selection = window.getSelection();
    const shown = document.activeElement === text && selection.rangeCount && inText(selection.focusNode);
    const box = shown ? boxAt(offsetOf(selection.focusNode, selection.focusOffset)) : null;
    caret.hidden = !box;
    if (!box) return;
    caret.style.left = `${box.left + window.scrollX - 1}px`;
    caret.style.top = `${box.top + window.scrollY}px`;
    caret.style.height = `${box.height}px`;
  }

  document.addEventListener("selectionchange", () => {
    const selection = window.getSelection();
    if (selection.rangeCount && inText(selection.focusNode)) {
      last = { node: selection.focusNode, offset: selection.focusOffset };
    } else if (!selection.rangeCount && document.activeElement === text && last?.node.isConnected) {
      // A selection let go of (Esc, or a label key) leaves the caret where it ended.
      selection.collapse(last.node, last.offset);
      movesWhenLetGo = moves;
      return;
    }
    drawCaret();
  });
  window.addEventListener("resize", drawCaret);
  // The text moves down when what is above it grows (a hint over two lines, a message,
  // the structure checks' findings), and its lines change when an answer redraws them.
  new ResizeObserver(drawCaret).observe(text.closest(".ws-main") ?? text);
  document.body.addEventListener("htmx:afterSettle", drawCaret);

  let pointing = false; // a click places the caret itself
  text.addEventListener("pointerdown", () => {
    moves += 1;
    pointing = true;
    upstream = false;
  });
  document.addEventListener("pointerup", () => {
    pointing = false;
  });
  text.addEventListener("focus", () => {
    if (pointing) return drawCaret();
    if (!selectionOffsets()) select(defaultCaret());
    drawCaret();
    // Once the browser has scrolled the text into view: the caret too, clear of the
    // hint and messages at the top of the window.
    requestAnimationFrame(() => {
      if (document.activeElement === text && !caret.hidden) caret.scrollIntoView({ block: "nearest" });
    });
  });
  text.addEventListener("blur", drawCaret);

  // --- Caret keys ------------------------------------------------------------------

  // Screen readers do not follow a caret in text that cannot be edited: what a caret
  // key did is read out from here (the selection, or what the caret stands before).
  const speech = document.createElement("div");
  speech.id = "caret-speech";
  speech.className = "visually-hidden";
  speech.setAttribute("aria-live", "polite");
  document.body.append(speech);

  const graphemes = new Intl.Segmenter(undefined, { granularity: "grapheme" });
  function readOut({ alter, granularity }) {
    const selection = window.getSelection();
    if (!selection.isCollapsed) {
      const words = selection.toString();
      speech.textContent = `Selected: ${words.length > 120 ? `${words.slice(0, 58)} … ${words.slice(-58)}` : words}`;
    } else if (alter === "extend") {
      speech.textContent = "Nothing selected";
    } else {
      speech.textContent = ahead(offsetOf(selection.focusNode, selection.focusOffset), granularity);
    }
  }

  // The character, word or rest of the line after an offset.
  function ahead(offset, granularity) {
    const rest = whole().toString().slice(offset);
    if (!rest) return "End of text";
    if (granularity === "character") {
      const [{ segment }] = graphemes.segment(rest.slice(0, 16));
      return { "\n": "New line", " ": "Space" }[segment] ?? segment;
    }
    if (granularity === "word") return /^\s*\S*/.exec(rest)[0].trim() || "Space";
    return rest.split("\n", 1)[0].slice(0, 80) || "Blank line";
  }

  const ARROWS = { ArrowLeft: "backward", ArrowRight: "forward", ArrowUp: "backward", ArrowDown: "forward" };

  // What a key does to the selection, or null for a key left to workspace.js.
  // Left and Right go by the direction of the paragraph the caret is in, as in the
  // browser's own text fields: in a right-to-left paragraph Left goes on through the
  // text and Right goes back. Within a run in the other direction (English words in an
  // Arabic paragraph) they keep going on or back through the text, the paragraph's way.
  function commandFor(event) {
    if (event.altKey || event.metaKey) return null;
    const alter = event.shiftKey ? "extend" : "move";
    const { key, ctrlKey } = event;
    if (key === "ArrowLeft" || key === "ArrowRight") {
      const selection = window.getSelection();
      const rtl = inText(selection.focusNode) && paragraphDirection(selection.focusNode) === "rtl";
      const forward = (key === "ArrowRight") !== rtl;
      return { alter, direction: forward ? "forward" : "backward", granularity: ctrlKey ? "word" : "character" };
    }
    if ((key === "ArrowUp" || key === "ArrowDown") && !ctrlKey) {
      return { alter, direction: ARROWS[key], granularity: "line" };
    }
    if (key === "Home" || key === "End") {
      return { alter, direction: key === "Home" ? "backward" : "forward", granularity: ctrlKey ? "text" : "lineboundary" };
    }
    return null;
  }

  text.addEventListener(
    "keydown",
    (event) => {
      const command = commandFor(event);
      if (!command) return;
      event.preventDefault();
      event.stopPropagation();
      document.getElementById("workspace-message")?.replaceChildren(); // a message lasts until the next key
      move(command);
      readOut(command);
    },
    { capture: true },
  );

  function move({ alter, direction, granularity }) {
    moves += 1;
    const selection = window.getSelection();
    if (!selectionOffsets()) select(defaultCaret());
    if (granularity === "text") {
      const end = direction === "forward" ? whole().toString().length : 0;
      if (alter === "extend") selection.extend(...pointAt(end));
      else select(end);
    } else if (alter === "move" && granularity === "character" && !selection.isCollapsed) {
      // An arrow lets go of a selection at its edge on that side, as in an editor.
      const range = selection.getRangeAt(0);
      if (direction === "forward") selection.collapse(range.endContainer, range.endOffset);
      else selection.collapse(range.startContainer, range.startOffset);
    } else if (granularity === "word" && alter === "move" && direction === "forward") {
      select(nextWordStart());
    } else if (granularity === "line") {
      const to = offsetLinesAway(direction === "forward" ? 1 : -1);
      if (alter === "extend") selection.extend(...pointAt(to));
      else select(to);
    } else {
      selection.modify(alter, direction, granularity);
    }
    keepInText();
    // Where the caret is, at once (selectionchange comes later: a label key pressed
    // meanwhile lets go of the selection, leaving the caret here).
    if (selection.rangeCount && inText(selection.focusNode)) {
      last = { node: selection.focusNode, offset: selection.focusOffset };
    }
    // Up and Down keep the column the caret was in, or the line's start or end after Home or End.
    if (granularity === "lineboundary") goalX = direction === "forward" ? Infinity : -Infinity;
    else if (granularity !== "line") goalX = null;
    upstream = granularity === "lineboundary" && direction === "forward";
    drawCaret();
    if (!caret.hidden) caret.scrollIntoView({ block: "nearest" });
  }

  // Ctrl+→ (Ctrl+← in a right-to-left paragraph) goes to the start of the next word, where a unit would begin (Chromium on
  // Linux goes to the end of the word, and Ctrl+Shift+→ still extends to word ends,
  // where a unit would end).
  function nextWordStart() {
    const selection = window.getSelection();
    const content = whole().toString();
    let to = offsetOf(selection.focusNode, selection.focusOffset);
    if (!/\s/.test(content[to] ?? " ")) {
      selection.modify("move", "forward", "word");
      to = offsetOf(selection.focusNode, selection.focusOffset);
    }
    while (to < content.length && /\s/.test(content[to])) to += 1;
    return to;
  }

  // Up and Down go to the character nearest the caret's column on the line above or
  // below, found where the browser lays it out: Selection.modify loses its way at a
  // line that starts with a unit's tag (which cannot be selected), and jumps to the end.
  let goalX = null; // the column kept over a run of Up and Down
  function offsetLinesAway(lines) {
    const selection = window.getSelection();
    const from = offsetOf(selection.focusNode, selection.focusOffset);
    const end = whole().toString().length;
    let box = boxAt(from);
    if (!box) return from;
    goalX ??= box.left;
    const height = parseFloat(getComputedStyle(text).lineHeight) || box.height * 2;
    // The line looked for must be in the window to be found there.
    const margin = 2 * height;
    const y = box.top + box.height / 2 + lines * height;
    const top = document.querySelector(".ws-status")?.getBoundingClientRect().bottom ?? 0;
    if (y < top + margin || y > window.innerHeight - margin) {
      window.scrollBy({ top: y - window.innerHeight / 2, behavior: "instant" });
      box = boxAt(from);
    }
    const frame = text.getBoundingClientRect();
    const x = Math.min(Math.max(goalX, frame.left + 1), frame.right - 1);
    // Past a gap between lines (a unit's lanes underneath), a little further.
    for (let step = 1; step <= 3; step += 1) {
      const at = box.top + box.height / 2 + lines * height * step;
      if (at < frame.top) return 0;
      if (at > frame.bottom) return end;
      const point = pointFrom(x, at);
      if (!point || (!inText(point.node) && point.node !== text)) continue;
      const to = offsetOf(point.node, point.offset);
      if (to !== from) return to;
    }
    return lines > 0 ? end : 0;
  }

  function pointFrom(x, y) {
    if (document.caretPositionFromPoint) {
      const position = document.caretPositionFromPoint(x, y);
      return position && { node: position.offsetNode, offset: position.offset };
    }
    const range = document.caretRangeFromPoint(x, y);
    return range && { node: range.startContainer, offset: range.startOffset };
  }

  // Selection.modify goes past the text's ends (into the heading, or the panel): the
  // selection stops at them instead.
  function keepInText() {
    const selection = window.getSelection();
    const range = whole();
    const end = range.toString().length;
    const clamp = (node, offset) => {
      if (!inText(node) && node !== text) {
        const side = range.comparePoint(node, offset);
        return side < 0 ? 0 : end;
      }
      return offsetOf(node, offset);
    };
    if (!selection.rangeCount) return;
    if (inText(selection.anchorNode) && inText(selection.focusNode)) return;
    select(clamp(selection.anchorNode, selection.anchorOffset), clamp(selection.focusNode, selection.focusOffset));
  }

  // --- The target named while linking ----------------------------------------------

  // workspace.js says "Linking from …" until a target is picked; while a candidate is
  // stepped to with ] and [, the hint names it (and is read out: it is aria-live).
  const hint = document.getElementById("mode-hint");
  const short = (quote) => (quote.length > 48 ? `${quote.slice(0, 47)}…` : quote);
  function unitName(id) {
    const row = document.querySelector(`#unit-panel .unit-row[data-unit="${CSS.escape(id)}"]`);
    if (row) return `${row.querySelector(".unit-label").textContent} “${short(row.querySelector(".quote").textContent)}”`;
    const mark = document.getElementById(`u-${id}`);
    return mark ? `${mark.dataset.tag.split(" · ")[0]} “${short(mark.textContent)}”` : null;
  }
  function relationKeys() {
    return [...root.querySelectorAll(".legend [data-relation-type]")]
      .map((k) => `${k.dataset.key} for ${k.textContent.trim().replace(/\s+\S+$/, "")}`)
      .join(", ");
  }
  if (hint) {
    new MutationObserver(() => {
      if (!hint.textContent.startsWith("Linking from ")) return;
      const candidate = document.querySelector("#article-text mark.is-candidate[data-unit], #unit-panel .unit-row.is-candidate");
      const name = candidate && unitName(candidate.dataset.unit);
      if (name) hint.textContent = `Target: ${name} — press Enter, then ${relationKeys()}. ] and [ step, Esc cancels.`;
    }).observe(hint, { childList: true, characterData: true, subtree: true });
  }

  // --- Focus after an answer -------------------------------------------------------

  // An answer swaps in new lines, a new panel, a new bar: whatever had focus there is
  // gone. Where focus was is noted when the answer starts to swap; once it is swapped
  // in, the caret comes back to its offsets in the lines redrawn (or after a new unit),
  // and once it has settled, focus goes to what replaced the element that had it (or
  // the nearest sensible thing).
  let before = null;
  let named = null; // the unit the last change named (the server's layer-changed event)

  document.body.addEventListener("layer-changed", (event) => {
    named = event.detail?.unit ?? null;
  });

  document.body.addEventListener("htmx:beforeSwap", (event) => {
    if (!event.detail.shouldSwap) return;
    const lost = document.activeElement === document.body || !document.activeElement;
    if (!before || !lost) before = where();
    const { requestConfig, xhr } = event.detail;
    const made = requestConfig?.verb === "post" && requestConfig.path === root.dataset.unitsUrl && xhr.status < 300;
    // The new unit, and the ends of the selection it was made from: where letting go of
    // the selection left the caret.
    if (made && named !== null) {
      const { start, end } = requestConfig.parameters;
      before.made = { id: String(named), ends: [Number(start), Number(end)] };
    }
  });

  document.body.addEventListener("htmx:oobBeforeSwap", (event) => {
    if (before && text.contains(event.detail.target)) before.redrawn = true;
  });

  // Right after the swap, before another key can move the caret.
  document.body.addEventListener("htmx:afterSwap", (event) => {
    if (!before) return;
    const was = before;
    before = null;
    putFocusBack({ ...was, answer: event.detail.xhr });
  });

  // A message's Dismiss button goes with the message.
  root.addEventListener("click", (event) => {
    if (event.target.closest("#workspace-message [data-dismiss]")) focusText(null);
  });

  // Where focus is, described so that it can be found again after a redraw.
  function where() {
    const element = document.activeElement;
    const found = { element, offsets: element === text ? selectionOffsets() : null };
    const row = element?.closest?.("#unit-panel .unit-row, #unit-panel .relation-row");
    if (row) {
      const list = row.parentElement;
      found.row = {
        selector: row.matches(".unit-row") ? ".unit-row" : ".relation-row",
        key: row.matches(".unit-row") ? `[data-unit="${row.dataset.unit}"]` : `[data-relation="${row.dataset.relation}"]`,
        index: [...list.children].indexOf(row),
        button: [...row.querySelectorAll("button")].indexOf(element),
      };
    }
    return found;
  }

  const focusable = (element) => element?.isConnected && !element.disabled && element.getClientRects().length > 0;

  function focusText(offsets) {
    if (document.activeElement !== text) text.focus({ preventScroll: true });
    if (offsets) select(offsets.anchor, offsets.focus);
    else if (!selectionOffsets()) select(defaultCaret());
    drawCaret();
  }

  function putFocusBack(was) {
    const active = document.activeElement;
    const lost = !active || active === document.body || !active.isConnected;
    // After a new unit, the caret goes on after it; unless the annotator has moved it
    // since its key let go of the selection (keys typed ahead of the answers): the caret
    // is elsewhere, or has moved since the last let-go.
    const here = was.offsets;
    const moved =
      here && (moves !== movesWhenLetGo || here.anchor !== here.focus || !was.made?.ends.includes(here.focus));
    if (was.made && !moved && (lost || active === text || active.closest(".legend"))) {
      const after = afterUnit(was.made.id);
      return focusText(after === null ? was.offsets : { anchor: after, focus: after });
    }
    if (active === text && was.redrawn) return focusText(was.offsets);
    if (!lost) return drawCaret();
    // A new button works once htmx has set it up, when this answer has settled (an
    // answer swapped in meanwhile, with focus already lost, knows less than this one;
    // an earlier answer that settles meanwhile has not set up this one's buttons).
    const knowsNothing = !was.element || was.element === document.body;
    if (!settling || !knowsNothing) settling = was;
  }

  let settling = null;
  document.body.addEventListener("htmx:afterSettle", (event) => {
    if (!settling || event.detail.xhr !== settling.answer) return;
    const was = settling;
    settling = null;
    const active = document.activeElement;
    if (active && active !== document.body && active.isConnected) return; // focus has gone somewhere meanwhile
    const replacement = replacementFor(was);
    if (replacement) replacement.focus();
    else focusText(was.offsets);
  });

  // What took the place of an element an answer removed.
  function replacementFor({ element, row }) {
    if (!element || element === document.body) return null;
    if (element.id) {
      const same = document.getElementById(element.id);
      if (focusable(same)) return same;
    }
    if (row) {
      const rows = [...document.querySelectorAll(`#unit-panel ${row.selector}`)];
      const same = document.querySelector(`#unit-panel ${row.selector}${row.key}`);
      if (same) {
        const button = same.querySelectorAll("button")[row.button];
        return focusable(button) ? button : same.querySelector("button");
      }
      // A row that went (its unit or relation deleted): the one now in its place.
      const next = rows[Math.min(row.index, rows.length - 1)];
      return next?.querySelector("button") ?? null;
    }
    const action = element.dataset?.action;
    if (action === "undo" || action === "redo") {
      const same = document.querySelector(`#history-buttons [data-action="${action}"]`);
      return focusable(same) ? same : null;
    }
    if (element.closest?.("#layer-bar") || element.hasAttribute?.("hx-post")) {
      // The same link or button in the new bar; else its action: Finish and Reopen
      // replace each other.
      const sameAs = (other) =>
        ["href", "hx-post", "hx-vals"].every((name) => other.getAttribute(name) === element.getAttribute(name));
      const same = [...document.querySelectorAll("#layer-bar a, #layer-bar button")].find(sameAs);
      if (focusable(same)) return same;
      const action = document.querySelector("#layer-bar > button[hx-post]");
      return focusable(action) ? action : null;
    }
    return null;
  }
}
