"""Progress on stderr: a tqdm bar over input bytes on a terminal, plain periodic lines otherwise,
nothing if quiet.

Bytes, not files, because one dump file can hold a million pages: the reader reports how far into
the (compressed) file it is, so rate and ETA mean something from the first minute. Plain lines
keep CI logs and `make … > log` readable (a bar redraws with carriage returns).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

from tqdm import tqdm

LOG_EVERY_SECONDS = 10.0


class Progress:
    def __init__(self, total_bytes: int, total_files: int, quiet: bool = False, stream=sys.stderr):
        self.quiet = quiet
        self.stream = stream
        self.total_bytes = max(total_bytes, 1)
        self.total_files = total_files
        self.files = self.pages = 0
        self.done_bytes = 0  # bytes of the files finished
        self.current_size = 0
        self.position: Callable[[], int] = lambda: 0
        self.started = self.last_log = time.monotonic()
        self.bar = None
        if not quiet and stream.isatty():
            self.bar = tqdm(total=self.total_bytes, unit="B", unit_scale=True, file=stream,
                            dynamic_ncols=True, smoothing=0.05)

    def file(self, source: str, size: int) -> None:
        self.done_bytes += self.current_size
        self.current_size = size
        self.position = lambda: 0
        self.files += 1
        if self.bar is None and not self.quiet and self.total_files <= 50:
            self._line(f"reading {source}")
        self._update()

    def watch(self, position: Callable[[], int]) -> None:
        self.position = position

    def page(self) -> None:
        self.pages += 1
        if self.pages % 25 == 0 or self.bar is None:
            self._update()

    def say(self, message: str) -> None:
        if self.quiet:
            return
        if self.bar is not None:
            self.bar.write(message, file=self.stream)
        else:
            self._line(message)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.update(self.total_bytes - self.bar.n)
            self.bar.close()

    def _done(self) -> int:
        try:
            inside = min(self.position(), self.current_size)
        except (OSError, ValueError):  # the file was closed under us
            inside = self.current_size
        return self.done_bytes + inside

    def _update(self) -> None:
        if self.quiet:
            return
        now = time.monotonic()
        rate = self.pages / max(now - self.started, 1e-9)
        if self.bar is not None:
            self.bar.update(self._done() - self.bar.n)
            self.bar.set_postfix_str(f"{self.pages} pages, {rate:.0f}/s, file {self.files}/{self.total_files}")
        elif now - self.last_log >= LOG_EVERY_SECONDS:
            done = self._done()
            share = done / self.total_bytes
            eta = (now - self.started) * (1 - share) / share if share > 0 else 0
            self._line(f"{share:.0%} of {self.total_bytes / 1e6:.1f} MB, {self.pages} pages "
                       f"({rate:.0f}/s), file {self.files}/{self.total_files}, ETA {_duration(eta)}")
            self.last_log = now

    def _line(self, message: str) -> None:
        print(f"[pipeline] {message}", file=self.stream, flush=True)


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
