"""Progress on stderr: a tqdm bar over input bytes on a terminal, plain periodic lines otherwise,
nothing if quiet.

Bytes, not files, because one dump file can hold a million pages: the reader reports how far into
the (compressed) file it is, so rate and ETA mean something from the first minute. But the bar
shows the bytes of the pages *finished*, not of those read: with --jobs the reader runs ahead of
the workers, and counting what was read showed 100% while 40% of the pages were still being
processed. `reading` notes where the reader was when it handed each item on, `finishing` takes
those notes back in the same order as the results come (they come in input order), so the bar
stands at the last finished page. Its page count is the documents finished, the number the
summary starts with. Plain lines keep CI logs and `make … > log` readable (a bar redraws with
carriage returns). A sharded run reports whole shards as they finish (`shard_done`).
"""

from __future__ import annotations

import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator

from tqdm import tqdm

LOG_EVERY_SECONDS = 10.0


class Progress:
    def __init__(self, total_bytes: int, total_files: int, quiet: bool = False, stream=sys.stderr):
        self.quiet = quiet
        self.stream = stream
        self.total_bytes = max(total_bytes, 1)
        self.total_files = total_files
        self.files = self.pages = 0
        self.read_bytes = 0  # bytes of the files read to the end
        self.current_size = 0
        self.position: Callable[[], int] = lambda: 0
        self.in_flight: deque[tuple[int, int]] = deque()  # (bytes, files) where each item was read
        self.finished_bytes = self.finished_files = 0
        self._run_end = 0  # the read position of the last finished page
        self.started = self.last_log = time.monotonic()
        self.bar = None
        if not quiet and stream.isatty():
            self.bar = tqdm(total=self.total_bytes, unit="B", unit_scale=True, file=stream,
                            dynamic_ncols=True, smoothing=0.05)

    def file(self, source: str, size: int) -> None:
        self.read_bytes += self.current_size
        self.current_size = size
        self.position = lambda: 0
        self.files += 1
        if self.bar is None and not self.quiet and self.total_files <= 50:
            self._line(f"reading {source}")

    def watch(self, position: Callable[[], int]) -> None:
        self.position = position

    def loading(self, what: str) -> None:
        """Say what the run waits for before its first page (a dictionary to load)."""
        if self.bar is not None:
            self.bar.set_postfix_str(f"loading {what}")
        elif not self.quiet:
            self._line(f"loading {what}")

    def reading(self, items: Iterable) -> Iterator:
        """`items`, noting how far into the input each one was read."""
        for item in items:
            self.in_flight.append((self._read(), self.files))
            yield item

    def finishing(self, results: Iterable) -> Iterator:
        """`results`, one per item of `reading` and in its order, moving the bar to each.

        A decompressor and the XML parser read ahead, so many pages can be handed on at one
        position (the last ~20% of a .bz2 dump's pages all at its end): within such a run of
        pages the bar moves by their share of it, from the position before the run."""
        base = done_in_run = 0
        for result in results:
            if self.in_flight:
                at, self.finished_files = self.in_flight.popleft()
                if at != self._run_end:
                    base, done_in_run, self._run_end = self._run_end, 0, at
                done_in_run += 1
                same = 0
                for later, _ in self.in_flight:  # positions never decrease: the run is at the front
                    if later != at:
                        break
                    same += 1
                share = base + (at - base) * done_in_run / (done_in_run + same)
                self.finished_bytes = max(self.finished_bytes, round(share))
            yield result

    def shard_done(self, size: int, files: int, pages: int) -> None:
        """A shard of a sharded run finished its map stage (shards finish in input order, as the
        executors hand them back): its input bytes, files and pages are done."""
        self.finished_bytes += size
        self.finished_files += files
        self.files += files
        self.pages += pages
        self._update()

    def page(self) -> None:
        """A document finished."""
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
        """Everything finished: the bar ends at 100% with the final page count."""
        self.finished_bytes, self.finished_files = self.total_bytes, self.files
        if self.bar is not None:
            self._update()
            self.bar.close()

    def _read(self) -> int:
        try:
            inside = min(self.position(), self.current_size)
        except (OSError, ValueError):  # the file was closed under us
            inside = self.current_size
        return self.read_bytes + inside

    def _update(self) -> None:
        if self.quiet:
            return
        now = time.monotonic()
        rate = self.pages / max(now - self.started, 1e-9)
        done = min(self.finished_bytes, self.total_bytes)
        if self.bar is not None:
            self.bar.update(done - self.bar.n)
            self.bar.set_postfix_str(f"{self.pages} pages, {rate:.0f}/s, "
                                     f"file {self.finished_files}/{self.total_files}")
        elif now - self.last_log >= LOG_EVERY_SECONDS:
            share = done / self.total_bytes
            eta = (now - self.started) * (1 - share) / share if share > 0 else 0
            self._line(f"{share:.0%} of {self.total_bytes / 1e6:.1f} MB, {self.pages} pages "
                       f"({rate:.0f}/s), file {self.finished_files}/{self.total_files}, ETA {_duration(eta)}")
            self.last_log = now

    def _line(self, message: str) -> None:
        print(f"[pipeline] {message}", file=self.stream, flush=True)


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
