// The assignment grid sends only the cells the manager changed: each checkbox knows
// whether it was saved ticked (data-saved); on submit, the form's one "changes" field
// gets "article:annotator:1" (assign) or ":0" (unassign) for every cell that differs.
(function () {
  "use strict";

  function changedCells(form) {
    return Array.from(form.querySelectorAll("input[data-cell]"))
      .filter((box) => box.checked !== (box.dataset.saved === "1"))
      .map((box) => `${box.dataset.cell}:${box.checked ? 1 : 0}`);
  }

  function showUnsaved(form) {
    const count = changedCells(form).length;
    const note = form.querySelector("#unsaved");
    if (note) {
      note.textContent = count ? `${count} change${count === 1 ? "" : "s"} not saved yet.` : "";
    }
  }

  // Capture: this runs before htmx reads the form's values.
  document.addEventListener(
    "submit",
    (event) => {
      const form = event.target;
      if (form.id === "assignment-grid") {
        form.elements.changes.value = changedCells(form).join(" ");
      }
    },
    true,
  );

  document.addEventListener("change", (event) => {
    const form = event.target.closest("#assignment-grid");
    if (form) {
      showUnsaved(form);
    }
  });

  // A refused save comes back with the ticks it tried: say they are not saved.
  document.addEventListener("htmx:afterSettle", () => {
    const form = document.getElementById("assignment-grid");
    if (form) {
      showUnsaved(form);
    }
  });

  window.addEventListener("beforeunload", (event) => {
    const form = document.getElementById("assignment-grid");
    if (form && changedCells(form).length) {
      event.preventDefault();
    }
  });
})();
