// Relation arcs over the article text, drawn in SVG from the boxes the browser gives
// the units' marks (brat's way): each relation an arc from its source unit up to a lane
// above the text and down to its target, with an arrowhead, in its relation type's
// colour (the project's scheme.css: .relation-type-N { --colour }), labelled with the
// type's name. An arc between units on different rows leaves its first row at the
// edge the text runs on to, and comes back in at the other edge of the target's row
// (in a right-to-left paragraph, the text runs on to the left edge).
// Shorter arcs take lower lanes; a line of the text carrying arcs is spaced out to
// fit them (data-arc-lanes on the line), the others keep their spacing.
//
// The relations are the side panel's rows (data-relation, data-source, data-target,
// class relation-type-N, .relation-name): the arcs follow the panel and the text
// whenever either is swapped, and follow resizes and font loads. A drawing reads every
// box first and writes after; it reads twice only when a line's spacing changed.

const LANE = 15; // px between lanes
const MAX_LANES = 12; // the most arcs.css spaces a line for
const FIRST_LANE = 11; // px from the top of a unit's box to the lowest lane
const CORNER = 5;
const HEAD = 7; // the arrowhead's length
const LABEL_FONT = "600 10.5px system-ui, sans-serif"; // as .arc-label in arcs.css
const LABEL_PAD = 4;
const SVG = "http://www.w3.org/2000/svg";

export function startArcs({ frame, onChoose }) {
  const svg = frame.querySelector("svg.arcs");
  const text = frame.querySelector(".article-text");
  const shown = { unit: null, relation: null, source: null, target: null, pointer: null };
  const lanesOf = new Map(); // a line's id → its lanes, as last written
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
    return [...document.querySelectorAll("#unit-panel .relation-row")].map((row) => ({
      id: row.dataset.relation,
      source: row.dataset.source,
      target: row.dataset.target,
      type: /\brelation-type-(\d+)\b/.exec(row.className)?.[1] ?? "",
      name: row.querySelector(".relation-name")?.textContent.trim() ?? "",
    }));
  }

  function labelWidth(name) {
    let width = labelWidths.get(name);
    if (width === undefined) {
      width = Math.ceil(measure.measureText(name).width) + 2 * LABEL_PAD;
      labelWidths.set(name, width);
    }
    return width;
  }

  // Where each unit's arcs attach: the first box of its first mark (the one that
  // carries its tag), on its row of the text. Reads layout; writes nothing.
  function unitBoxes(ids) {
    const boxes = new Map();
    for (const id of ids) {
      const mark = document.getElementById(`u-${id}`);
      // Its first box with any width: a mark that begins at the end of a row, its tag
      // wrapped to the next, leaves an empty box behind on that row.
      const rect = mark && [...mark.getClientRects()].find((box) => box.width > 0);
      if (!rect) continue;
      const line = mark.closest(".line");
      const rtl = getComputedStyle(line).direction === "rtl"; // an Arabic or Hebrew paragraph
      boxes.set(id, { mark, line, rtl, left: rect.left, right: rect.right, top: rect.top });
    }
    return boxes;
  }

  // --- Laying out ------------------------------------------------------------------

  // The rows of the text the arcs touch (by their top), each with its segments; every
  // arc end gets its own place on its unit's box, ordered by where its other end lies,
  // so arcs leaving one unit do not start on top of each other.
  function layout(drawn, boxes, edges) {
    const rows = new Map();
    const rowOf = (box) => {
      const key = Math.round(box.top);
      if (!rows.has(key)) rows.set(key, { top: box.top, line: box.line, rtl: box.rtl, segments: [], lanes: 0 });
      return rows.get(key);
    };
    const order = [...new Set([...boxes.values()].map((box) => Math.round(box.top)))].sort((a, b) => a - b);
    const rowIndex = new Map(order.map((top, index) => [top, index]));
    const flow = (box) => rowIndex.get(Math.round(box.top)) * 1e5 + (box.left + box.right) / 2;

    const ends = new Map(); // unit → [{ relation, other flow position, set(x) }]
    const arcs = [];
    for (const relation of drawn) {
      const source = boxes.get(relation.source);
      const target = boxes.get(relation.target);
      const arc = { relation, source, target, sourceRow: rowOf(source), targetRow: rowOf(target), x: {} };
      for (const [end, box, other] of [["source", source, target], ["target", target, source]]) {
        if (!ends.has(box)) ends.set(box, []);
        ends.get(box).push({ other: flow(other), arc, end });
      }
      arcs.push(arc);
    }
    for (const [box, list] of ends) {
      list.sort((a, b) => a.other - b.other);
      const width = Math.min(box.right - box.left - 8, (list.length - 1) * 9);
      const centre = (box.left + box.right) / 2;
      list.forEach((item, index) => {
        item.arc.x[item.end] = list.length > 1 ? centre - width / 2 + (index * width) / (list.length - 1) : centre;
      });
    }

    for (const arc of arcs) {
      const { sourceRow, targetRow, relation } = arc;
      const sx = arc.x.source;
      const tx = arc.x.target;
      const width = labelWidth(relation.name);
      if (sourceRow === targetRow) {
        arc.rank = [0, Math.abs(tx - sx)];
        arc.segments = [{ row: sourceRow, from: sx, to: tx, start: true, end: true }];
      } else {
        const forward = sourceRow.top < targetRow.top;
        const apart = Math.abs(rowIndex.get(Math.round(sourceRow.top)) - rowIndex.get(Math.round(targetRow.top)));
        // A row's text runs on to its right edge, or its left in a right-to-left paragraph.
        const runsOn = (row) => (row.rtl ? edges.left : edges.right);
        const comesIn = (row) => (row.rtl ? edges.right : edges.left);
        const [out, back] = forward ? [runsOn(sourceRow), comesIn(targetRow)] : [comesIn(sourceRow), runsOn(targetRow)];
        arc.rank = [apart, Math.abs(out - sx) + Math.abs(tx - back)];
        arc.segments = [
          { row: sourceRow, from: sx, to: out, start: true, end: false },
          { row: targetRow, from: back, to: tx, start: false, end: true },
        ];
      }
      for (const segment of arc.segments) {
        const middle = (segment.from + segment.to) / 2;
        segment.arc = arc;
        segment.label = { middle, width };
        segment.span = [
          Math.min(segment.from, segment.to, middle - width / 2) - 3,
          Math.max(segment.from, segment.to, middle + width / 2) + 3,
        ];
        segment.row.segments.push(segment);
      }
    }

    // brat's rule: shorter arcs lower; each segment takes the lowest lane where it
    // overlaps no segment already there.
    for (const row of rows.values()) {
      const taken = [];
      row.segments.sort((a, b) => a.arc.rank[0] - b.arc.rank[0] || a.arc.rank[1] - b.arc.rank[1]);
      for (const segment of row.segments) {
        let lane = 0;
        while (taken[lane]?.some(([a, b]) => a < segment.span[1] && segment.span[0] < b)) lane += 1;
        (taken[lane] ??= []).push(segment.span);
        segment.lane = lane;
      }
      row.lanes = taken.length;
    }
    return { rows, arcs };
  }

  // --- Drawing ---------------------------------------------------------------------

  // The spacing a line of the text had: given back at once to a line swapped in by an
  // answer (before the frame that would show it unspaced), so that reading the boxes
  // does not see the text shifted.
  function respaceSwapped(records) {
    for (const record of records) {
      for (const line of record.addedNodes) {
        const lanes = lanesOf.get(line.id);
        if (lanes) setLanes(line, lanes);
      }
    }
    schedule();
  }

  // In a data attribute, not a class or a style: htmx gives a line swapped in the old
  // line's class and style until it settles, then takes them away.
  function setLanes(line, lanes) {
    if (lanes) line.dataset.arcLanes = Math.min(lanes, MAX_LANES);
    else delete line.dataset.arcLanes;
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

    // Writes: the spacing of the lines that carry arcs (the deepest row of a line sets it).
    const wanted = new Map();
    for (const row of rows.values()) wanted.set(row.line.id, Math.max(wanted.get(row.line.id) ?? 0, row.lanes));
    let respaced = false;
    for (const id of new Set([...lanesOf.keys(), ...wanted.keys()])) {
      const lanes = wanted.get(id) ?? 0;
      const line = document.getElementById(id);
      if (lanes) lanesOf.set(id, lanes);
      else lanesOf.delete(id);
      if (!line || Number(line.dataset.arcLanes ?? 0) === Math.min(lanes, MAX_LANES)) continue;
      setLanes(line, lanes);
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

  // One arc: its lines (with the arrowhead, where the path ends) as one path, a wider
  // invisible copy that takes the pointer, and a label on each row it crosses.
  function arcShape(arc, origin) {
    const { relation } = arc;
    const first = arc.segments[0].row.top;
    let d = "";
    const labels = [];
    for (const segment of arc.segments) {
      const base = Math.round(segment.row.top - first) - 2; // just above the unit's box
      const y = base + 2 - FIRST_LANE - segment.lane * LANE;
      const from = Math.round(segment.from - origin.left);
      const to = Math.round(segment.to - origin.left);
      const direction = Math.sign(to - from) || 1;
      const corner = Math.min(CORNER, Math.floor(Math.abs(to - from) / 2));
      d += segment.start ? `M${from} ${base}V${y + corner}Q${from} ${y} ${from + direction * corner} ${y}` : `M${from} ${y}`;
      d += segment.end
        ? `H${to - direction * corner}Q${to} ${y} ${to} ${y + corner}V${base}` +
          `M${to - 4} ${base - HEAD}L${to} ${base}M${to + 4} ${base - HEAD}L${to} ${base}`
        : `H${to}`;
      labels.push({ x: Math.round(segment.label.middle - origin.left), y, width: segment.label.width });
    }
    return {
      relation,
      d,
      labels,
      offset: `translate(0 ${Math.round(first - origin.top)})`,
      kind: `${arc.segments.length} ${relation.type} ${relation.name}`,
    };
  }

  function arcMarkup({ relation, d, labels, offset }) {
    const name = escape(relation.name);
    const tags = labels.map(
      ({ x, y, width }) =>
        `<rect class="arc-tag" x="${x - width / 2}" y="${y - 6.5}" width="${width}" height="13" rx="3"/>` +
        `<text class="arc-label" x="${x}" y="${y + 3.5}">${name}</text>`,
    );
    return (
      `<g class="arc relation-type-${escape(relation.type)}" data-relation="${escape(relation.id)}" ` +
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
