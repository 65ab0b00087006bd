// Relation arcs over the article text, drawn in SVG from the boxes the browser gives
// the units' marks (brat's way): each relation an arc from its source unit up to a lane
// above the text and down to its target, with an arrowhead, in its relation type's
// colour (the project's scheme.css: .relation-type-N { --colour }), labelled once with
// the type's name. An arc between units on different rows runs above its source's row
// out to the nearer edge of the text, along the margin, and in above its target's row.
// Each row of the text packs the arcs above it into lanes (narrower lower; arcs that do
// not overlap, labels included, share a lane) and gets exactly the room its lanes need
// (data-arc-lanes on its arcs' units' marks); the other rows keep their spacing. Arc
// ends into one unit are spread along its box.
//
// The relations are the side panel's rows (data-relation, data-source, data-target,
// class relation-type-N, .relation-name): the arcs follow the panel and the text
// whenever either is swapped, and follow resizes and font loads. A drawing reads every
// box first and writes after; it reads twice only when a line's spacing changed.

const LANE = 15; // px between lanes
const MAX_LANES = 24; // the most arcs.css spaces a row for
const FIRST_LANE = 11; // px from the top of a unit's box to the lowest lane
const LANE_GAP = 3; // px kept free between two pieces in one lane
const END_INSET = 5; // px from a box's sides to its outermost arc ends
const MARGIN_GAP = 7; // px from the text's edge to an arc running down the margin
const MARGIN_STEP = 5; // px between arcs side by side in the margin
const CORNER = 5;
const HEAD = 7; // the arrowhead's length
const LABEL_FONT = "600 10.5px system-ui, sans-serif"; // as .arc-label in arcs.css
const LABEL_PAD = 4;
const SVG = "http://www.w3.org/2000/svg";

export function startArcs({ frame, onChoose }) {
  const svg = frame.querySelector("svg.arcs");
  const text = frame.querySelector(".article-text");
  const shown = { unit: null, relation: null, source: null, target: null, pointer: null };
  const lanesOf = new Map(); // a unit's id → the lanes of the row its arcs leave from, as last written
  let onPage = new Map(); // a relation's id → its arc's shape and element
  const pendingPath = document.createElementNS(SVG, "path");
  pendingPath.setAttribute("class", "arc-pending");
  svg.append(pendingPath);
  // Label widths, measured once per relation type's name (a canvas measures text
  // without laying out the page).
  const labelWidths = new Map();
  const measure = document.createElement("canvas").getContext("2d");
  measure.font = LABEL_FONT;
  let scheduled = false;

  // --- Reading ---------------------------------------------------------------------

  function panelRelations() {
    const relations = [...document.querySelectorAll("#unit-panel .relation-row")].map((row) => ({
      id: row.dataset.relation,
      source: row.dataset.source,
      target: row.dataset.target,
      type: /\brelation-type-(\d+)\b/.exec(row.className)?.[1] ?? "",
      name: row.querySelector(".relation-name")?.textContent.trim() ?? "",
    }));
    // Suggested relations, drawn dashed: each end is a unit ("unit:12", its mark u-12)
    // or a suggested unit ("suggestion:7", its ghost u-s7).
    const end = (name) => (name.startsWith("unit:") ? name.slice(5) : `s${name.slice(11)}`);
    const suggested = [...document.querySelectorAll("#unit-panel .ghost-link-row")].map((row) => ({
      id: `s${row.dataset.suggestion}`,
      source: end(row.dataset.source),
      target: end(row.dataset.target),
      type: /\brelation-type-(\d+)\b/.exec(row.className)?.[1] ?? "",
      name: row.querySelector(".relation-name")?.textContent.trim() ?? "",
      ghost: true,
    }));
    return [...relations, ...suggested];
  }

  function labelWidth(name) {
    let width = labelWidths.get(name);
    if (width === undefined) {
      width = Math.ceil(measure.measureText(name).width) + 2 * LABEL_PAD;
      labelWidths.set(name, width);
    }
    return width;
  }

  // Where each unit's arcs attach: the first box with any width of its first mark (the
  // one that carries its tag), on its row of the text: a mark that begins at the end of
  // a row, its tag wrapped to the next, leaves an empty box behind on that row. Reads
  // layout; writes nothing.
  function unitBoxes(ids) {
    const boxes = new Map();
    for (const id of ids) {
      const mark = document.getElementById(`u-${id}`);
      const rect = mark && [...mark.getClientRects()].find((box) => box.width > 0);
      if (rect) boxes.set(id, { mark, left: rect.left, right: rect.right, top: rect.top });
    }
    return boxes;
  }

  // --- Laying out ------------------------------------------------------------------

  // The rows of the text the arcs touch (by their top), each with the pieces of arcs
  // that run above it, packed into lanes. Every arc end gets its own place along its
  // unit's box, ordered by where its other end lies, so arcs into one unit do not meet
  // in one point and do not cross one another there. An arc between two rows runs
  // above its source's row out to the text's nearer edge, along the margin, and in
  // above its target's row: one line, one label (on its longer piece).
  function layout(drawn, boxes, edges) {
    const rows = new Map();
    const rowOf = (box) => {
      const key = Math.round(box.top);
      if (!rows.has(key)) rows.set(key, { top: box.top, pieces: [], lanes: 0, units: new Set() });
      return rows.get(key);
    };
    const order = [...new Set([...boxes.values()].map((box) => Math.round(box.top)))].sort((a, b) => a - b);
    const rowIndex = new Map(order.map((top, index) => [top, index]));
    const indexOf = (row) => rowIndex.get(Math.round(row.top));
    const flow = (box) => rowIndex.get(Math.round(box.top)) * 1e5 + (box.left + box.right) / 2;

    const ends = new Map(); // box → [{ other end's place in the text's flow, arc, end }]
    const arcs = [];
    for (const relation of drawn) {
      const source = boxes.get(relation.source);
      const target = boxes.get(relation.target);
      const arc = { relation, sourceRow: rowOf(source), targetRow: rowOf(target), x: {} };
      arc.sourceRow.units.add(relation.source);
      arc.targetRow.units.add(relation.target);
      for (const [end, box, other] of [["source", source, target], ["target", target, source]]) {
        if (!ends.has(box)) ends.set(box, []);
        ends.get(box).push({ other: flow(other), arc, end });
      }
      arcs.push(arc);
    }
    // Spread evenly along the box (its first row), the first end nearest the text before it.
    for (const [box, list] of ends) {
      list.sort((a, b) => a.other - b.other);
      const inset = Math.min(END_INSET, (box.right - box.left) / 4);
      const step = (box.right - box.left - 2 * inset) / list.length;
      list.forEach((item, index) => {
        item.arc.x[item.end] = box.left + inset + step * (index + 0.5);
      });
    }

    // Arcs between rows: the margin nearer to both ends, and a place in it (shorter
    // runs nearer the text; runs that share rows side by side).
    const across = arcs.filter((arc) => arc.sourceRow !== arc.targetRow);
    for (const arc of across) {
      const { source: sx, target: tx } = arc.x;
      arc.side = edges.right - sx + (edges.right - tx) <= sx - edges.left + (tx - edges.left) ? 1 : -1;
      const [a, b] = [indexOf(arc.sourceRow), indexOf(arc.targetRow)].sort((p, q) => p - q);
      arc.rows = [a, b];
    }
    for (const side of [1, -1]) {
      const taken = [];
      const mine = across.filter((arc) => arc.side === side);
      mine.sort((p, q) => p.rows[1] - p.rows[0] - (q.rows[1] - q.rows[0]));
      for (const arc of mine) {
        let slot = 0;
        while (taken[slot]?.some(([a, b]) => a <= arc.rows[1] && arc.rows[0] <= b)) slot += 1;
        (taken[slot] ??= []).push(arc.rows);
        arc.margin = (side > 0 ? edges.right : edges.left) + side * (MARGIN_GAP + slot * MARGIN_STEP);
      }
    }

    for (const arc of arcs) {
      const { sourceRow, targetRow, relation } = arc;
      const sx = arc.x.source;
      const tx = arc.x.target;
      if (sourceRow === targetRow) {
        arc.pieces = [{ row: sourceRow, from: sx, to: tx }];
      } else {
        arc.pieces = [
          { row: sourceRow, from: sx, to: arc.margin },
          { row: targetRow, from: arc.margin, to: tx },
        ];
      }
      const labelled = arc.pieces.reduce((a, b) => (Math.abs(b.to - b.from) > Math.abs(a.to - a.from) ? b : a));
      const width = labelWidth(relation.name);
      for (const piece of arc.pieces) {
        let [left, right] = [Math.min(piece.from, piece.to), Math.max(piece.from, piece.to)];
        if (piece === labelled) {
          const middle = (piece.from + piece.to) / 2;
          piece.label = { middle, width };
          [left, right] = [Math.min(left, middle - width / 2), Math.max(right, middle + width / 2)];
        }
        piece.arc = arc;
        piece.span = [left - LANE_GAP, right + LANE_GAP];
        piece.row.pieces.push(piece);
      }
    }

    // Each row's lanes, packed: narrower pieces lower (so an arc never goes under one
    // it spans), each in the lowest lane where it overlaps no piece already there,
    // label included. Pieces that do not overlap share a lane.
    for (const row of rows.values()) {
      const taken = [];
      row.pieces.sort((a, b) => a.span[1] - a.span[0] - (b.span[1] - b.span[0]) || a.span[0] - b.span[0]);
      for (const piece of row.pieces) {
        let lane = 0;
        while (taken[lane]?.some(([a, b]) => a < piece.span[1] && piece.span[0] < b)) lane += 1;
        (taken[lane] ??= []).push(piece.span);
        piece.lane = lane;
      }
      row.lanes = taken.length;
    }
    return { rows, arcs };
  }

  // --- Drawing ---------------------------------------------------------------------

  // The spacing a row of the text had: given back at once to a unit's mark swapped in
  // by an answer (before the frame that would show it unspaced), so that reading the
  // boxes does not see the text shifted.
  function respaceSwapped(records) {
    for (const record of records) {
      for (const line of record.addedNodes) {
        if (!line.querySelectorAll) continue;
        for (const mark of line.querySelectorAll("mark[id^='u-']")) {
          const lanes = lanesOf.get(mark.id.slice(2));
          if (lanes) setLanes(mark, lanes);
        }
      }
    }
    schedule();
  }

  // A row is spaced out by the marks of the units its arcs leave from or come into:
  // each such mark begins with an empty inline box (no text, so the text's offsets
  // and its wrapping stay as they are) that stands as high above the row as the row's
  // lanes need (arcs.css), so that row gets the room and the line's other rows keep
  // their spacing. The lanes are in a data attribute, not a class or a style: htmx
  // gives an element swapped in the old element's class and style until it settles,
  // then takes them away.
  function setLanes(mark, lanes) {
    if (lanes) {
      mark.dataset.arcLanes = Math.min(lanes, MAX_LANES);
      if (!mark.firstChild?.classList?.contains("arc-room")) {
        const room = document.createElement("span");
        room.className = "arc-room";
        mark.prepend(room);
      }
    } else {
      delete mark.dataset.arcLanes;
      if (mark.firstChild?.classList?.contains("arc-room")) mark.firstChild.remove();
    }
  }

  function draw() {
    scheduled = false;
    const began = performance.now();
    const relations = panelRelations();
    const ids = new Set(relations.flatMap((relation) => [relation.source, relation.target]));
    // Reads: every box, once.
    let boxes = unitBoxes(ids);
    const textBox = text.getBoundingClientRect();
    const drawn = relations.filter((relation) => boxes.has(relation.source) && boxes.has(relation.target));
    const edges = { left: textBox.left, right: textBox.right };
    let { rows, arcs } = layout(drawn, boxes, edges);

    // Writes: the spacing of the rows that carry arcs, on their arcs' units' marks.
    const wanted = new Map();
    for (const row of rows.values()) for (const unit of row.units) wanted.set(unit, row.lanes);
    let respaced = false;
    for (const id of new Set([...lanesOf.keys(), ...wanted.keys()])) {
      const lanes = wanted.get(id) ?? 0;
      const mark = document.getElementById(`u-${id}`);
      if (lanes) lanesOf.set(id, lanes);
      else lanesOf.delete(id);
      if (!mark || Number(mark.dataset.arcLanes ?? 0) === Math.min(lanes, MAX_LANES)) continue;
      setLanes(mark, lanes);
      respaced = true;
    }
    // Spacing moves rows down, never sideways: read the boxes once more and lay out
    // again (the lanes come out as they were, since only heights changed).
    if (respaced) {
      boxes = unitBoxes(ids);
      ({ rows, arcs } = layout(drawn, boxes, edges));
    }
    const origin = frame.getBoundingClientRect();
    const pending = pendingPathData(origin);
    show(arcs, origin);
    if (pendingPath.getAttribute("d") !== pending) pendingPath.setAttribute("d", pending);
    applyShown();
    performance.measure("arcs-draw", { start: began });
  }

  // Only what changed is written (everything after a resize): an arc is drawn from the
  // top of its first row, so one that only moved up or down (a line above it wraps
  // differently now) gets a new transform; one whose shape changed gets new
  // coordinates in the elements it has. New elements are made only for a new arc, or
  // one that now crosses more or fewer rows: adding an element to the drawing has the
  // browser lay out all of it again.
  function show(arcs, origin) {
    const fresh = new Map();
    const made = [];
    for (const arc of arcs) {
      const id = arc.relation.id;
      const shape = arcShape(arc, origin);
      const old = onPage.get(id);
      onPage.delete(id);
      if (old && old.shape.kind === shape.kind) {
        reshape(old, shape);
        fresh.set(id, old);
      } else {
        const entry = { shape, node: null, old: old?.node };
        fresh.set(id, entry);
        made.push(entry);
      }
    }
    for (const gone of onPage.values()) gone.node.remove();
    if (made.length) {
      const scratch = document.createElementNS(SVG, "g");
      scratch.innerHTML = made.map((entry) => arcMarkup(entry.shape)).join("");
      const nodes = [...scratch.children];
      made.forEach((entry, index) => {
        entry.node = nodes[index];
        if (entry.old) entry.old.replaceWith(entry.node);
        else svg.insertBefore(entry.node, pendingPath);
        delete entry.old;
      });
    }
    onPage = fresh;
  }

  function reshape(entry, shape) {
    const { node, shape: old } = entry;
    if (old.offset !== shape.offset) node.setAttribute("transform", shape.offset);
    if (old.d !== shape.d) {
      for (const path of node.querySelectorAll("path")) path.setAttribute("d", shape.d);
    }
    const tags = node.querySelectorAll(".arc-tag");
    const labels = node.querySelectorAll(".arc-label");
    shape.labels.forEach((label, index) => {
      const before = old.labels[index];
      if (before.x === label.x && before.y === label.y) return;
      tags[index].setAttribute("x", label.x - label.width / 2);
      tags[index].setAttribute("y", label.y - 6.5);
      labels[index].setAttribute("x", label.x);
      labels[index].setAttribute("y", label.y + 3.5);
    });
    entry.shape = shape;
  }

  function schedule() {
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(draw);
  }

  const escape = (value) => String(value).replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

  // One arc: its line (up from its source, along its lanes, and down into its target,
  // with rounded corners and the arrowhead where it ends) as one path, a wider
  // invisible copy that takes the pointer, and its label.
  function arcShape(arc, origin) {
    const { relation, pieces } = arc;
    const first = pieces[0].row.top;
    const base = (piece) => Math.round(piece.row.top - first) - 2; // just above the unit's box
    const laneY = (piece) => base(piece) + 2 - FIRST_LANE - piece.lane * LANE;
    const x = (value) => Math.round(value - origin.left);
    const points = [[x(pieces[0].from), base(pieces[0])]];
    for (const piece of pieces) points.push([x(piece.from), laneY(piece)], [x(piece.to), laneY(piece)]);
    const last = pieces[pieces.length - 1];
    points.push([x(last.to), base(last)]);
    const labelled = pieces.find((piece) => piece.label);
    return {
      relation,
      d: roundedPath(points),
      labels: [{ x: x(labelled.label.middle), y: laneY(labelled), width: labelled.label.width }],
      offset: `translate(0 ${Math.round(first - origin.top)})`,
      kind: `${relation.type} ${relation.name}`,
    };
  }

  // A line through the points (each turn a right angle), its turns rounded, and an
  // arrowhead at its end.
  function roundedPath(points) {
    const [[x0, y0]] = points;
    let d = `M${x0} ${y0}`;
    for (let i = 1; i < points.length - 1; i++) {
      const [px, py] = points[i - 1];
      const [cx, cy] = points[i];
      const [nx, ny] = points[i + 1];
      const before = Math.abs(cx - px) + Math.abs(cy - py);
      const after = Math.abs(nx - cx) + Math.abs(ny - cy);
      const r = Math.min(CORNER, Math.floor(before / 2), Math.floor(after / 2));
      const inX = cx - Math.sign(cx - px) * r;
      const inY = cy - Math.sign(cy - py) * r;
      const outX = cx + Math.sign(nx - cx) * r;
      const outY = cy + Math.sign(ny - cy) * r;
      d += `L${inX} ${inY}Q${cx} ${cy} ${outX} ${outY}`;
    }
    const [ex, ey] = points[points.length - 1];
    return `${d}L${ex} ${ey}M${ex - 4} ${ey - HEAD}L${ex} ${ey}M${ex + 4} ${ey - HEAD}L${ex} ${ey}`;
  }

  function arcMarkup({ relation, d, labels, offset }) {
    const name = escape(relation.name);
    const tags = labels.map(
      ({ x, y, width }) =>
        `<rect class="arc-tag" x="${x - width / 2}" y="${y - 6.5}" width="${width}" height="13" rx="3"/>` +
        `<text class="arc-label" x="${x}" y="${y + 3.5}">${name}</text>`,
    );
    return (
      `<g class="arc${relation.ghost ? " ghost" : ""} relation-type-${escape(relation.type)}" data-relation="${escape(relation.id)}" ` +
      `data-source="${escape(relation.source)}" data-target="${escape(relation.target)}" transform="${offset}">` +
      `<path class="arc-hit" d="${d}"/><path class="arc-line" d="${d}"/>${tags.join("")}</g>`
    );
  }

  // The arc being made in linking mode: from the source unit to the chosen target, or
  // to the pointer while there is none.
  function pendingPathData(origin) {
    if (!shown.source) return "";
    const sourceBox = unitBoxes([shown.source]).get(shown.source);
    const targetBox = shown.target ? unitBoxes([shown.target]).get(shown.target) : null;
    const end = targetBox ? { x: (targetBox.left + targetBox.right) / 2, y: targetBox.top - 2 } : shown.pointer;
    if (!sourceBox || !end) return "";
    const sx = Math.round((sourceBox.left + sourceBox.right) / 2 - origin.left);
    const sy = Math.round(sourceBox.top - 2 - origin.top);
    const ex = Math.round(end.x - origin.left);
    const ey = Math.round(end.y - origin.top);
    const lift = Math.min(60, 20 + Math.abs(ex - sx) / 6);
    return `M${sx} ${sy}C${sx} ${Math.round(sy - lift)} ${ex} ${Math.round(ey - lift)} ${ex} ${ey}`;
  }

  function redrawPending() {
    pendingPath.setAttribute("d", pendingPathData(frame.getBoundingClientRect()));
  }

  // --- What is chosen and hovered --------------------------------------------------

  const arcsOf = (unit) => [...svg.querySelectorAll(`.arc[data-source="${unit}"], .arc[data-target="${unit}"]`)];

  // The chosen unit's arcs (or the chosen relation's) come forward; the others fade.
  // Nothing is written that is already so: a drawing after every change calls this,
  // and a moved arc, or a class taken off and put back, is laid out again.
  function applyShown() {
    let forward = [];
    let name = "";
    if (shown.relation) {
      forward = [...svg.querySelectorAll(`.arc[data-relation="${shown.relation}"]`)];
      name = "is-chosen";
    } else if (shown.unit) {
      forward = arcsOf(shown.unit);
      name = "is-related";
    }
    for (const arc of svg.querySelectorAll(".arc.is-chosen, .arc.is-related")) {
      if (!forward.includes(arc)) arc.classList.remove("is-chosen", "is-related");
    }
    for (const arc of forward) {
      arc.classList.toggle("is-chosen", name === "is-chosen");
      arc.classList.toggle("is-related", name === "is-related");
    }
    const atEnd = new Set();
    for (let node = pendingPath.previousElementSibling; node && atEnd.size < forward.length; ) {
      atEnd.add(node);
      node = node.previousElementSibling;
    }
    if (!forward.every((arc) => atEnd.has(arc))) for (const arc of forward) svg.insertBefore(arc, pendingPath);
    svg.classList.toggle("has-focus", forward.length > 0);
  }

  function hover(arcs) {
    for (const old of document.querySelectorAll(".is-hovered, .is-arc-end")) {
      old.classList.remove("is-hovered", "is-arc-end");
    }
    for (const arc of arcs) {
      const { relation, source, target } = arc.dataset;
      arc.classList.add("is-hovered");
      for (const row of document.querySelectorAll("#unit-panel .relation-row")) {
        if (row.dataset.relation === relation) row.classList.add("is-hovered");
      }
      for (const unit of [source, target]) {
        for (const mark of document.querySelectorAll(`#article-text mark[data-unit="${unit}"]`)) {
          mark.classList.add("is-arc-end");
        }
      }
    }
  }

  frame.addEventListener("pointerover", (event) => {
    const arc = event.target.closest?.(".arc");
    if (arc) return hover([arc]);
    const mark = event.target.closest?.("mark[data-unit]");
    hover(mark ? arcsOf(mark.dataset.unit) : []);
  });
  frame.addEventListener("pointerleave", () => hover([]));
  svg.addEventListener("click", (event) => {
    const arc = event.target.closest(".arc");
    if (arc) onChoose(arc.dataset.relation);
  });
  document.addEventListener("pointermove", (event) => {
    if (!shown.source || shown.target) return;
    shown.pointer = { x: event.clientX, y: event.clientY };
    redrawPending();
  });

  // Whatever swaps the text's lines or the panel's rows (the answer to a change, the
  // panel's refresh), the arcs are drawn again before the next frame.
  new MutationObserver(respaceSwapped).observe(text, { childList: true });
  new MutationObserver(schedule).observe(document.getElementById("unit-panel"), { childList: true });
  new ResizeObserver(schedule).observe(text);
  // A resize moves nearly every arc: draw them all afresh.
  window.addEventListener("resize", () => {
    for (const { node } of onPage.values()) node.remove();
    onPage = new Map();
    schedule();
  });
  document.fonts?.ready.then(schedule);
  draw();

  return {
    // What workspace.js has chosen: a unit, a relation, or a link being made.
    show({ unit = null, relation = null, source = null, target = null }) {
      const linking = source !== shown.source || target !== shown.target;
      if (source !== shown.source) shown.pointer = null;
      Object.assign(shown, { unit, relation, source, target });
      applyShown();
      if (linking) redrawPending();
    },
    redraw: draw,
  };
}
