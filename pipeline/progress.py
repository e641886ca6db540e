"""Progress on stderr: a tqdm bar on a terminal, plain periodic lines otherwise, nothing if quiet.

Plain lines keep CI logs and `make … > log` readable (a bar redraws with carriage returns).
"""

from __future__ import annotations

import sys
import time

from tqdm import tqdm

LOG_EVERY_SECONDS = 10.0


class Progress:
    def __init__(self, total_files: int, quiet: bool = False, stream=sys.stderr):
        self.quiet = quiet
        self.stream = stream
        self.pages = 0
        self.files = 0
        self.total_files = total_files
        self.started = self.last_log = time.monotonic()
        self.bar = None
        if not quiet and stream.isatty():
            self.bar = tqdm(total=total_files, unit="file", file=stream, dynamic_ncols=True)

    def file(self, source: str) -> None:
        if self.bar is not None:
            if self.files:
                self.bar.update(1)
            self.bar.set_postfix_str(source[-40:])
        elif not self.quiet and self.total_files <= 50:
            self._line(f"reading {source}")
        self.files += 1

    def page(self) -> None:
        self.pages += 1
        if self.bar is None and not self.quiet:
            now = time.monotonic()
            if now - self.last_log >= LOG_EVERY_SECONDS:
                rate = self.pages / (now - self.started)
                self._line(f"{self.pages} pages, file {self.files}/{self.total_files}, {rate:.0f} pages/s")
                self.last_log = now

    def say(self, message: str) -> None:
        if self.quiet:
            return
        if self.bar is not None:
            self.bar.write(message, file=self.stream)
        else:
            self._line(message)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.update(self.total_files - self.bar.n)
            self.bar.close()

    def _line(self, message: str) -> None:
        print(f"[pipeline] {message}", file=self.stream, flush=True)
