"""A progress line for the dataset commands, shown only when standard error is a terminal."""

import sys
import time


class Progress:
    def __init__(self, label: str, total: int | None = None, stream=None):
        self.label, self.total, self.count = label, total, 0
        self.stream = stream or sys.stderr
        self.shown = self.stream.isatty()
        self.shown_at = 0.0

    def step(self, *_args) -> None:
        self.count += 1
        if self.shown and (self.count % 25 == 0 or self.count == self.total):
            of = f"/{self.total}" if self.total else ""
            self.stream.write(f"\r{self.label}: {self.count}{of}")
            self.stream.flush()

    def phase(self, phase: str, done: int, total: int) -> None:
        """An import's progress (`datasets.import_files`): its phase and counts, a few times a second."""
        moment = time.monotonic()
        if self.shown and (moment - self.shown_at > 0.2 or done == total):
            self.shown_at = moment
            self.stream.write(f"\r{phase.capitalize()}: {done:,} of {total:,}\x1b[K")
            self.stream.flush()

    def done(self) -> None:
        if self.shown:
            self.stream.write("\n")
