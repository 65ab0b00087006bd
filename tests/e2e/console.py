"""What the browser says is wrong while a test runs, and the few things a test may expect
it to say.

`ConsoleWatch` listens to every page of every context a test makes (tests/e2e/conftest.py
hooks it into `new_context`, which pytest-playwright's `context` and `page` come from):
console messages of type error, uncaught page errors, and Content-Security-Policy
violations, which an init script hears as `securitypolicyviolation` events and reports
through a binding. The test fails at teardown if any came that it did not declare.

A test that provokes an error on purpose declares it with the `expect_console_errors`
fixture, by patterns below that each match one whole message: the browser's own report
of a refusal's status (`refused(422)`), of a connection that failed, and htmx's report of
a request that got no answer or an error status. A declared message must come at least
once, and nothing else is let through: no CSP violation and no uncaught error ever is.
"""

import re

# In every frame of every page, before the page's own scripts.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  const report = window.__reportSecurityPolicyViolation;
  if (typeof report !== "function") return;
  const where = event.sourceFile ? ` at ${event.sourceFile}:${event.lineNumber}:${event.columnNumber}` : "";
  const sample = event.sample ? ` (${JSON.stringify(event.sample)})` : "";
  const blocked = event.blockedURI || "inline";
  const element = event.target instanceof Element ? ` for ${event.target.outerHTML.slice(0, 200)}` : "";
  report(`${event.effectiveDirective} refused ${blocked} on ${event.documentURI}${where}${sample}${element}`);
}, true);
"""
BINDING = "__reportSecurityPolicyViolation"


def refused(status: int) -> str:
    """The browser's report of a response with this status (it logs every 4xx and 5xx)."""
    return rf"Failed to load resource: the server responded with a status of {status} \([^)]*\)"


# The browser's report of a request whose connection was refused, reset or cut short.
CONNECTION_FAILED = r"Failed to load resource: net::ERR_(CONNECTION_REFUSED|CONNECTION_RESET|FAILED)"


def htmx_error(event: str) -> str:
    """htmx's report of one of its error events (htmx:sendError, htmx:afterRequest after
    one) on the workspace."""
    return rf"{re.escape(event)}, \[object HTML\w+Element\]"


def htmx_response_error(status: int, path: str = r"/\S+") -> str:
    """htmx's report of an answer its responseHandling (or the page) calls an error."""
    return rf"Response Status Error Code {status} from {path}, \[object HTML\w+Element\]"


# htmx's reports of a request that got no answer at all.
HTMX_NO_ANSWER = (htmx_error("htmx:afterRequest"), htmx_error("htmx:sendError"))


class ConsoleWatch:
    """What the browser reported while one test ran, from every page it opened."""

    def __init__(self):
        self.console_errors: list[tuple[str, str]] = []  # (message, where)
        self.page_errors: list[str] = []
        self.violations: list[str] = []
        self.expected: list[re.Pattern] = []

    def watch_context(self, context):
        context.add_init_script(script=REPORT_CSP_VIOLATIONS)
        context.expose_binding(BINDING, lambda source, text: self.violations.append(str(text)))
        for page in context.pages:
            self.watch_page(page)
        context.on("page", self.watch_page)

    def watch_page(self, page):
        page.on("console", lambda message: self.on_console(page, message))
        page.on("pageerror", lambda error: self.page_errors.append(f"{error} (on {page.url})"))

    def on_console(self, page, message):
        if message.type == "error":
            self.console_errors.append((message.text, (message.location or {}).get("url") or page.url))

    def messages(self) -> list[str]:
        """The console errors so far, in order, without where they came from."""
        return [text for text, _ in self.console_errors]

    def expect(self, *patterns: str):
        self.expected += [re.compile(pattern) for pattern in patterns]

    def is_expected(self, text: str) -> bool:
        return any(pattern.fullmatch(text) for pattern in self.expected)

    def failures(self) -> str:
        """What to fail the test with, or an empty string."""
        unexpected = [f"{text} (on {where})" for text, where in self.console_errors if not self.is_expected(text)]
        unseen = [
            pattern.pattern
            for pattern in self.expected
            if not any(pattern.fullmatch(text) for text, _ in self.console_errors)
        ]
        lines = []
        for title, entries in (
            ("Content-Security-Policy violations", self.violations),
            ("console errors", unexpected),
            ("uncaught page errors", self.page_errors),
            ("console errors declared by expect_console_errors that never came", unseen),
        ):
            if entries:
                lines.append(f"{title}:")
                lines += [f"  - {entry}" for entry in entries]
        return "\n".join(lines)
