// "Copy link" buttons: copy the text of the field a button names (data-copy) and say so.
// Listening on the document, so buttons that htmx swaps in work as well.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("button[data-copy]");
  if (!button) return;
  const field = document.getElementById(button.dataset.copy);
  const status = button.parentElement.querySelector(".copy-status");
  field.select();
  try {
    await navigator.clipboard.writeText(field.value);
    if (status) status.textContent = "Copied.";
  } catch {
    if (status) status.textContent = "Select the link and copy it (Ctrl+C).";
  }
});
