// Chunked upload on the import page (annotate/uploads.py): a file larger than one
// request may carry (the form's data-max-bytes) is sent in chunks of data-chunk-bytes.
// Every answer says the offset of the next chunk; after a dropped connection the page
// asks the server where the upload stands and goes on from there, and an upload cut
// short (the tab closed) resumes when the same file is sent again. Once every byte has
// arrived the page sends the file's CRC-32 and the form's choices, and follows the
// preview or import job the server queues.

const form = document.querySelector("form[data-upload-start]");
const region = document.getElementById("chunked-upload");
const RETRIES = 8;

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crcUpdate(crc, bytes) {
  let c = (crc ^ 0xffffffff) >>> 0;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

async function crc32(file, chunkBytes) {
  let crc = 0;
  for (let offset = 0; offset < file.size; offset += chunkBytes) {
    crc = crcUpdate(crc, new Uint8Array(await file.slice(offset, offset + chunkBytes).arrayBuffer()));
    say(`Checking the file: ${percent(offset, file.size)}`);
  }
  return crc.toString(16).padStart(8, "0");
}

function percent(done, total) {
  return `${Math.floor((100 * done) / total)} %`;
}

function say(text, error = false) {
  region.hidden = false;
  region.querySelector("[data-words]").textContent = text;
  region.classList.toggle("error", error);
}

function show(done, total) {
  const bar = region.querySelector("progress");
  bar.max = total;
  bar.value = done;
  say(`Sending the file: ${done.toLocaleString("en")} of ${total.toLocaleString("en")} bytes (${percent(done, total)})`);
}

function wait(milliseconds) {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}

// An answer as {ok, status, answer}; null when the connection dropped.
async function ask(url, options = {}) {
  const csrf = form.querySelector("[name=csrfmiddlewaretoken]").value;
  let response;
  try {
    response = await fetch(url, { credentials: "same-origin", ...options, headers: { "X-CSRFToken": csrf, ...options.headers } });
  } catch {
    return null;
  }
  const answer = await response.json().catch(() => ({ message: `the server answered ${response.status}` }));
  return { ok: response.ok, status: response.status, answer };
}

function remembered(file) {
  return `annotate-upload:${form.dataset.uploadStart}:${file.name}:${file.size}:${file.lastModified}`;
}

// The upload to continue: the one this file started before, if the server still has it; else a new one.
async function begin(file) {
  const key = remembered(file);
  const before = localStorage.getItem(key);
  if (before) {
    const where = await ask(before);
    if (where && where.ok && !where.answer.complete) return where.answer;
    localStorage.removeItem(key);
  }
  const start = new FormData();
  start.append("name", file.name);
  start.append("size", String(file.size));
  const started = await ask(form.dataset.uploadStart, { method: "POST", body: start });
  if (!started || !started.ok) throw new Error(started ? started.answer.message : "the connection dropped");
  localStorage.setItem(key, started.answer.url);
  return started.answer;
}

async function send(file, action) {
  const chunkBytes = Number(form.dataset.chunkBytes);
  const upload = await begin(file);
  let offset = upload.offset;
  let failures = 0;
  show(offset, file.size);
  while (offset < file.size) {
    const sent = await ask(`${upload.url}?offset=${offset}`, {
      method: "POST",
      body: file.slice(offset, offset + chunkBytes),
      headers: { "Content-Type": "application/octet-stream" },
    });
    if (sent && sent.ok) {
      offset = sent.answer.offset;
      failures = 0;
      show(offset, file.size);
      continue;
    }
    if (sent && sent.status !== 409) throw new Error(sent.answer.message);
    // The connection dropped (the chunk may or may not have arrived), or the upload is
    // elsewhere than this page thought: ask where it stands.
    failures += 1;
    if (failures > RETRIES) throw new Error("the connection keeps dropping; send the file again to go on from where it stopped");
    await wait(Math.min(250 * 2 ** failures, 8000));
    const where = await ask(upload.url);
    if (where && where.ok) offset = where.answer.offset;
    else if (where) throw new Error(where.answer.message);
  }
  const finish = new FormData();
  for (const name of ["unknown", "existing", "owner"]) finish.append(name, form.elements[name].value);
  finish.append("action", action);
  finish.append("crc32", await crc32(file, chunkBytes));
  say("Starting the job…");
  const done = await ask(upload.finish, { method: "POST", body: finish });
  if (!done) throw new Error("the connection dropped; send the file again to finish the upload");
  if (!done.ok) {
    if (done.status !== 409) localStorage.removeItem(remembered(file));
    throw new Error(done.answer.message);
  }
  localStorage.removeItem(remembered(file));
  window.location.assign(done.answer.job);
}

if (form && region) {
  // In the capture phase, before htmx sends the form: a file too large for one request goes in chunks.
  document.addEventListener(
    "submit",
    (event) => {
      if (event.target !== form) return;
      const files = [...form.querySelector("input[type=file]").files];
      const size = files.reduce((sum, file) => sum + file.size, 0);
      if (size <= Number(form.dataset.maxBytes)) return;
      event.preventDefault();
      event.stopImmediatePropagation();
      if (files.length !== 1) {
        say("These files are too large to send together: send the large file on its own.", true);
        return;
      }
      const action = event.submitter ? event.submitter.value : "preview";
      for (const button of form.querySelectorAll("button")) button.disabled = true;
      send(files[0], action)
        .catch((error) => say(`Not sent: ${error.message}.`, true))
        .finally(() => {
          for (const button of form.querySelectorAll("button")) button.disabled = false;
        });
    },
    true,
  );
}
