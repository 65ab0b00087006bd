// Curation on one text: draws each lane's units as bars under the words they cover,
// and handles the keys. What the units are, their verdicts and what adopting does come
// from the server; a unit's pieces arrive as UTF-16 offsets from the start of its line
// (`data-pieces="0-12 30-45"`), which is what the browser's ranges count.
//
// Keys: `]` / `[` choose the next / previous unit of the annotators' lanes in text
// order, Enter adopts the chosen one, `r` adopts it in place of the gold units of its
// label it overlaps. After an adoption the next unit is chosen. Gold's suggestions have
// a lane of their own: chosen and adopted the same way, and `x` rejects the chosen one.

const GAP = 2; // px between a row's words and its first lane
const SPACE = 1; // px between the bars of units nested in one lane

const readout = () => document.getElementById("curation-readout");
const curation = () => document.getElementById("curation");
// The units that can be chosen and adopted, in text order (then lane order).
const choosable = () =>
  [...document.querySelectorAll("#curation button.lane-unit")].sort(
    (a, b) => a.dataset.start - b.dataset.start || a.dataset.lane - b.dataset.lane,
  );
// Where a unit's id is found again after the region is redrawn: its button in the
// lanes, its row in the table.
const places = () => [...document.querySelectorAll("#curation button.lane-unit, #review .review-row[data-unit]")];

let chosen = null; // the id of the chosen unit
// { unit, after } while an answer to an action on a unit is awaited; `after`: the units
// chosen after it then, in order (a suggestion adopted or rejected leaves its lane).
let pending = null;

// Each lane is `--pitch` high under every row of words. A unit's bar is drawn in its
// lane at its depth (nested units below the unit they sit in, thinner when many are
// nested, so the lane keeps its height) inside a hit area the whole lane high and at
// least `--target` wide (WCAG 2.5.8), so a unit of one letter is as easy to hit as a
// long one. Beside each lane, in the margin, its layer's name on every row it has bars.
function place(line) {
  const words = line.querySelector(".c-words");
  const node = words.firstChild;
  const units = line.querySelectorAll(".lane-unit");
  for (const unit of units) unit.replaceChildren(...unit.querySelectorAll(".visually-hidden"));
  line.querySelectorAll(".lane-tag.copy").forEach((tag) => tag.remove());
  line.querySelectorAll(".lane-tag").forEach((tag) => tag.classList.remove("placed"));
  if (!node || !units.length) return;
  const origin = line.getBoundingClientRect();
  const right = words.parentElement.getBoundingClientRect().right - origin.left;
  const style = getComputedStyle(line.closest(".curation-text"));
  const pitch = parseFloat(style.getPropertyValue("--pitch")) || 24;
  const target = parseFloat(style.getPropertyValue("--target")) || 24;
  const thick = parseFloat(style.getPropertyValue("--bar")) || 6;
  const range = document.createRange();
  const tagged = new Map(); // lane → the tops of the lane rows it has bars on
  for (const lane of line.querySelectorAll(".lane")) {
    const depths = Math.max(...[...lane.querySelectorAll(".lane-unit")].map((unit) => Number(unit.dataset.depth))) + 1;
    const bar = Math.min(thick, (pitch - 2 * GAP - (depths - 1) * SPACE) / depths);
    const offset = (pitch - depths * bar - (depths - 1) * SPACE) / 2;
    tagged.set(lane, new Set());
    for (const unit of lane.querySelectorAll(".lane-unit")) {
      const row = Number(unit.dataset.row);
      const depth = Number(unit.dataset.depth);
      const pieces = unit.dataset.pieces.split(" ").map((piece) => piece.split("-").map(Number));
      let first = unit.hasAttribute("data-first");
      for (const [start, end] of pieces) {
        range.setStart(node, start);
        range.setEnd(node, end);
        const rows = rowsOf(range, origin, right);
        rows.forEach((box, index) => {
          // A little room at a piece's end, so that two units side by side read as two.
          const width = Math.max(box.right - box.left - (index === rows.length - 1 ? 2 : 0), 3);
          // On whole pixels, so that two lanes meet without a sliver where neither is hit.
          const top = Math.round(box.bottom + GAP + row * pitch);
          const reach = Math.ceil(Math.max(width, target));
          const left = Math.round(Math.min(Math.max(box.left - (reach - width) / 2, 0), Math.max(right - reach, 0)));
          const hit = document.createElement("span");
          hit.className = "hit";
          hit.style.left = `${left}px`;
          hit.style.top = `${top}px`;
          hit.style.width = `${reach}px`;
          hit.style.height = `${pitch}px`;
          hit.style.zIndex = String(depth + 1); // a nested unit over the one it sits in
          const frag = document.createElement("span");
          frag.className = first ? "frag first" : "frag";
          first = false;
          frag.style.left = `${box.left - left}px`;
          frag.style.width = `${width}px`;
          frag.style.top = `${offset + depth * (bar + SPACE)}px`;
          frag.style.height = `${bar}px`;
          hit.append(frag);
          unit.append(hit);
          tagged.get(lane).add(top);
        });
      }
    }
  }
  for (const [lane, tops] of tagged) {
    const tag = lane.querySelector(".lane-tag");
    if (!tag) continue;
    [...tops].forEach((top, index) => {
      const copy = index ? tag.cloneNode(true) : tag;
      copy.classList.add("placed");
      if (index) copy.classList.add("copy");
      copy.style.top = `${top}px`;
      copy.style.height = `${pitch}px`;
      if (index) lane.append(copy);
    });
  }
}

// The rows of text a range covers, relative to `origin`: the browser may give a row in
// several boxes (and a wrapped row's final space as a box of its own past the edge).
function rowsOf(range, origin, right) {
  const rows = new Map();
  for (const rect of range.getClientRects()) {
    const left = rect.left - origin.left;
    if (rect.width < 0.5 || left >= right - 0.5) continue;
    const key = Math.round(rect.bottom);
    const row = rows.get(key) || { left, right: left, bottom: rect.bottom - origin.top };
    row.left = Math.min(row.left, left);
    row.right = Math.min(Math.max(row.right, rect.right - origin.left), right);
    rows.set(key, row);
  }
  return [...rows.values()].sort((a, b) => a.bottom - b.bottom);
}

function placeAll() {
  document.querySelectorAll("#curation .c-line.has-lanes").forEach(place);
}

// The margin beside the lanes is as wide as the longest of their names needs.
function fitNames() {
  const text = document.querySelector("#curation .curation-text");
  const tags = text ? [...text.querySelectorAll(".lane-tag")] : [];
  if (!tags.length) return;
  const context = document.createElement("canvas").getContext("2d");
  context.font = getComputedStyle(tags[0]).font;
  const widest = Math.max(...tags.map((tag) => context.measureText(tag.textContent).width));
  text.style.setProperty("--names-fit", `calc(${Math.ceil(widest)}px + .6rem)`);
}

// --- Choosing a unit ----------------------------------------------------------------

function describe(unit) {
  const text = (unit.getAttribute("aria-label") || unit.textContent).replace(/^Adopt /, "");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function highlightWords(unit) {
  if (!window.CSS?.highlights) return;
  CSS.highlights.delete("curation-current");
  if (!unit) return;
  const ranges = [];
  for (const part of document.querySelectorAll(`#curation .lane-unit[data-unit="${unit.dataset.unit}"]`)) {
    const node = part.closest(".c-line").querySelector(".c-words").firstChild;
    for (const piece of part.dataset.pieces.split(" ")) {
      const [start, end] = piece.split("-").map(Number);
      const range = new Range();
      range.setStart(node, start);
      range.setEnd(node, end);
      ranges.push(range);
    }
  }
  CSS.highlights.set("curation-current", new Highlight(...ranges));
}

function choose(unit, { focus = true } = {}) {
  for (const other of document.querySelectorAll("#curation button.lane-unit")) {
    other.tabIndex = -1;
    other.classList.remove("is-current");
  }
  if (!unit) return;
  chosen = unit.dataset.unit;
  unit.tabIndex = 0;
  unit.classList.add("is-current");
  if (focus) {
    unit.focus({ preventScroll: true });
    unit.querySelector(".frag")?.scrollIntoView({ block: "nearest" });
  }
  highlightWords(unit);
  if (readout()) readout().textContent = describe(unit);
}

function current() {
  return chosen && document.querySelector(`#curation button.lane-unit[data-unit="${chosen}"]`);
}

function move(step) {
  const units = choosable();
  if (!units.length) return;
  const index = units.indexOf(current());
  const next = index < 0 ? (step > 0 ? 0 : units.length - 1) : Math.min(Math.max(index + step, 0), units.length - 1);
  choose(units[next]);
}

// Reject the chosen suggestion for gold (its bar names the address).
function reject(unit) {
  window.htmx.ajax("POST", unit.dataset.reject, { source: unit, target: "#review", swap: "outerHTML" }).catch(() => {});
}

function replace(unit) {
  // A request that gets no answer rejects the promise; htmx reports the failure
  // itself (htmx:sendError), so the rejection is no uncaught error of the page's.
  window.htmx
    .ajax("POST", unit.getAttribute("hx-post"), {
      source: unit,
      target: "#review",
      swap: "outerHTML",
      values: { overlap: "replace" },
    })
    .catch(() => {});
}

// The control that acts on a unit after the region was redrawn: its button in the
// lanes, its row's Adopt button in the table (none once it is in gold).
function control(place) {
  return place.matches("button") ? place : place.querySelector("button.adopt");
}

// After an answer: the unit acted on stays chosen when it was refused or a question
// was asked; after an adoption the next unit (that can still be adopted) is.
function restore(adopted) {
  const all = places();
  const index = all.findIndex((place) => place.dataset.unit === pending.unit);
  const after = pending.after || [];
  pending = null;
  if (index < 0) {
    // The unit acted on is gone (a suggestion adopted or rejected): the next one still there.
    const next = after.map((id) => choosable().find((unit) => unit.dataset.unit === id)).find(Boolean);
    if (next) choose(next);
    return;
  }
  const order = curation() ? choosable() : all;
  const from = curation() ? order.indexOf(all[index]) : index;
  const candidates = adopted ? order.slice(from + 1) : order.slice(from);
  const next = candidates.map(control).find(Boolean) || (adopted ? control(order[from]) : null);
  if (!next) return;
  if (curation()) choose(next);
  else next.focus();
}

function start() {
  fitNames();
  placeAll();
  const units = choosable();
  if (units.length) units[0].tabIndex = 0;
}

document.addEventListener("keydown", (event) => {
  if (!curation() || event.ctrlKey || event.metaKey || event.altKey) return;
  if (event.target.closest("input, select, textarea")) return;
  if (event.key === "]" || event.key === "[") {
    event.preventDefault();
    move(event.key === "]" ? 1 : -1);
    return;
  }
  const unit = current();
  if (!unit) return;
  if (event.key === "Enter" && document.activeElement !== unit && !event.target.closest("button, a")) {
    event.preventDefault();
    unit.click();
  } else if (event.key === "r") {
    event.preventDefault();
    replace(unit);
  } else if (event.key === "x" && unit.dataset.reject) {
    event.preventDefault();
    reject(unit);
  }
});

document.addEventListener("click", (event) => {
  // A unit's bars on later lines adopt it as its first bar does.
  const part = event.target.closest("#curation span.lane-unit[aria-hidden]");
  const unit = part && document.querySelector(`#curation button.lane-unit[data-unit="${part.dataset.unit}"]`);
  if (unit) unit.click();
});

document.addEventListener("focusin", (event) => {
  const unit = event.target.closest?.("#curation button.lane-unit");
  if (unit) choose(unit, { focus: false });
});

document.addEventListener("mouseover", (event) => {
  const unit = event.target.closest?.("#curation .lane-unit");
  if (unit && readout()) readout().textContent = describe(unit.hasAttribute("data-first") ? unit : firstOf(unit));
});
document.addEventListener("mouseout", (event) => {
  if (!event.target.closest?.("#curation .lane-unit") || !readout()) return;
  readout().textContent = current() ? describe(current()) : "";
});

function firstOf(part) {
  return document.querySelector(`#curation .lane-unit[data-first][data-unit="${part.dataset.unit}"]`) || part;
}

document.addEventListener("htmx:beforeRequest", (event) => {
  const source = event.detail.elt;
  const unit = source.closest("[data-unit]");
  if (!unit) return;
  const order = choosable();
  const at = order.findIndex((each) => each.dataset.unit === unit.dataset.unit);
  const after = at < 0 ? [] : [...order.slice(at + 1), ...order.slice(0, at).reverse()];
  pending = { unit: unit.dataset.unit, after: after.map((each) => each.dataset.unit) };
});

document.addEventListener("htmx:afterSettle", (event) => {
  if (event.detail.target?.id !== "review" && event.detail.elt?.id !== "review") return;
  start();
  if (pending) restore(event.detail.xhr?.status === 200 && event.detail.requestConfig?.verb === "post");
  else if (current()) choose(current(), { focus: false });
});

new ResizeObserver(() => placeAll()).observe(document.body);
document.fonts.ready.then(start);
start();
