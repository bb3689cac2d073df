"""A terminal progress bar for commands: `Stories  [#########.....] 6,000/10,000  4s`.

Call it with (stage, done, total). It stays quiet for the first second (quick jobs print nothing), then
redraws one line per stage in place on a terminal; when the output is not a terminal (a log, CI) it
prints each stage's last line only, once the stage is done.
"""

import time

QUIET_SECONDS = 1.0  # nothing is drawn before this; tests of commands' output set it to 0


class ProgressBar:
    def __init__(self, stream, width: int = 30, *, quiet_seconds: float | None = None):
        # Django's OutputWrapper adds a newline unless told otherwise; a raw stream does not.
        self.raw = getattr(stream, "_out", stream)
        self.width = width
        self.quiet_seconds = QUIET_SECONDS if quiet_seconds is None else quiet_seconds
        self.started = time.monotonic()
        self.stage: str | None = None
        self.line = ""
        self.drawn = False
        self.terminal = bool(getattr(self.raw, "isatty", lambda: False)())

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage != self.stage:
            self._finish_stage()
            self.stage = stage
        filled = self.width * done // total if total else self.width
        elapsed = time.monotonic() - self.started
        bar = "#" * filled + "." * (self.width - filled)
        self.line = f"{stage:<16} [{bar}] {done:,}/{total:,}  {elapsed:,.0f}s"
        if self.terminal and elapsed >= self.quiet_seconds:
            self.raw.write("\r" + self.line)
            self.raw.flush()
            self.drawn = True

    def _finish_stage(self) -> None:
        if self.stage is None:
            return
        if self.drawn:
            self.raw.write("\n")
        elif time.monotonic() - self.started >= self.quiet_seconds:
            self.raw.write(self.line + "\n")
        self.raw.flush()
        self.drawn = False

    def close(self) -> None:
        self._finish_stage()
        self.stage = None
