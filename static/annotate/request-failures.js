// A page's HTMX request that fails says so in the page's message area, so that a click
// or a key never just seems ignored: a server error, a refusal that brings nothing to
// swap in, no answer at all, or the log-in page (the session is gone). The area is the
// element marked data-request-messages, or else the page's #messages list (base.html).
// The next request that succeeds takes the message away, and so does its Dismiss button.
// Answers htmx swaps as content (a form's 422 with its errors, a 413, a 429: base.html's
// responseHandling) are the page's own message and are left alone. The workspace says
// what went wrong in its own words (workspace.js), so this stays out of its page.
(function () {
  "use strict";

  const CHANGE = {
    server: "Something went wrong on the server; nothing was changed. Try again, or reload.",
    refused: "The server refused this; nothing was changed. Reload to see the page as it is now.",
    silent: "The server did not answer; nothing was changed. Try again when it is back.",
  };
  // A request that only reads (a page of a list, a job's progress) changed nothing either.
  const READ = {
    server: "Something went wrong on the server; this part of the page was not brought up to date. Reload to try again.",
    refused: "The server refused this; this part of the page was not brought up to date. Reload to see it as it is now.",
    silent: "The server did not answer; this part of the page was not brought up to date. It is tried again when the server is back.",
  };
  const LOGGED_OUT = "You are no longer logged in here (perhaps you logged out in another tab). Log in again, then reload.";
  // A refusal's own words, when the server gives them as plain text, and they are short.
  const MAX_OWN_WORDS = 300;

  const workspace = () => document.getElementById("workspace");
  const area = () => document.querySelector("[data-request-messages]") || document.getElementById("messages");
  const loginPath = () => document.body.dataset.loginUrl;
  // A request made without a session is sent to the log-in page (and the browser follows).
  const toLogIn = (xhr) => Boolean(xhr?.responseURL) && new URL(xhr.responseURL).pathname === loginPath();

  function ownWords(xhr) {
    const type = xhr.getResponseHeader("Content-Type") || "";
    const text = (xhr.responseText || "").trim();
    return type.startsWith("text/plain") && text && text.length <= MAX_OWN_WORDS ? text : null;
  }

  const reads = (detail) => detail.requestConfig?.verb === "get";

  function whatWentWrong(detail) {
    const { xhr } = detail;
    if (toLogIn(xhr) || xhr.status === 403) return LOGGED_OUT;
    const words = reads(detail) ? READ : CHANGE;
    if (!xhr.status) return words.silent;
    if (xhr.status >= 500) return words.server;
    return ownWords(xhr) || words.refused;
  }

  // One message at a time, and a change's failure is not pushed out by a read's. A
  // request that fails again (a job's progress, polled every second) leaves the message
  // as it is, so it is announced once.
  function tell(text, kind) {
    const box = area();
    if (!box) return;
    const shown = box.querySelector("[data-request-failure]");
    if (shown && (shown.dataset.requestFailure === text || (kind === "read" && shown.dataset.kind === "change"))) return;
    const message = document.createElement(box.tagName === "UL" ? "li" : "p");
    message.className = "message error";
    message.setAttribute("role", "alert");
    message.dataset.requestFailure = text;
    message.dataset.kind = kind;
    message.textContent = `${text} `;
    const dismiss = document.createElement("button");
    dismiss.type = "button";
    dismiss.className = "link";
    dismiss.dataset.dismissFailure = "";
    dismiss.textContent = "Dismiss";
    message.append(dismiss);
    if (shown) shown.replaceWith(message);
    else box.append(message);
  }

  // A change that succeeds takes any failure's message away; a read (a job's progress
  // polled while the person reads that their Cancel failed) only a read's.
  function clear(kind = null) {
    for (const message of document.querySelectorAll("[data-request-failure]")) {
      if (!kind || message.dataset.kind === kind) message.remove();
    }
  }

  document.addEventListener("click", (event) => {
    if (event.target.closest?.("[data-dismiss-failure]")) clear();
  });
  // The log-in page is never swapped into a part of this one.
  document.addEventListener("htmx:beforeSwap", (event) => {
    if (workspace() || !toLogIn(event.detail.xhr)) return;
    event.detail.shouldSwap = false;
    event.detail.isError = true;
  });
  document.addEventListener("htmx:afterRequest", (event) => {
    if (workspace()) return;
    const { detail } = event;
    const kind = reads(detail) ? "read" : "change";
    if (detail.successful && !toLogIn(detail.xhr)) clear(kind === "read" ? "read" : null);
    // A refusal swapped in as content (422, 413, 429) is not `failed`, and speaks for itself.
    else if (detail.failed || !detail.xhr?.status || toLogIn(detail.xhr)) tell(whatWentWrong(detail), kind);
  });
})();
