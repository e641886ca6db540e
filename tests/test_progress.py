"""The progress bar follows finished pages, not the reader running ahead of the workers, and
ends with the page count the summary starts with."""

from __future__ import annotations

import io
import re

from pipeline.progress import Progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _pages(progress: Progress, positions: list[int]):
    """Pages 0, 1, … of one file, the reader standing at positions[i] after page i."""
    at = [0]
    progress.watch(lambda: at[0])
    for i, position in enumerate(positions):
        at[0] = position
        yield i


def test_the_bar_counts_finished_pages_not_bytes_read():
    progress = Progress(total_bytes=100, total_files=1, quiet=True)
    progress.file("dump.xml", 100)
    # the reader is 10 bytes further after each page
    ahead = progress.reading(_pages(progress, [(i + 1) * 10 for i in range(10)]))
    buffered = [next(ahead) for _ in range(8)]  # workers hold 8 pages, none finished yet
    assert progress._read() == 80 and progress.finished_bytes == 0
    done = progress.finishing(iter(buffered))
    next(done)
    assert progress.finished_bytes == 10
    list(done)
    assert progress.finished_bytes == 80
    list(progress.finishing(ahead))
    assert progress.finished_bytes == 100 and not progress.in_flight


def test_the_last_bar_shows_every_page_at_100_percent():
    screen = Terminal()
    progress = Progress(total_bytes=1000, total_files=1, stream=screen)
    progress.loading("dictionaries")
    assert "loading dictionaries" in screen.getvalue()  # shown before the wait, not after it
    progress.file("a.txt", 1000)
    for _ in progress.finishing(progress.reading(range(30))):
        progress.page()  # the bar redraws every 25 pages: the last 5 were not on it
    progress.close()
    last = re.split(r"[\r\n]", screen.getvalue().rstrip())[-1]
    assert "100%" in last and "30 pages" in last and "file 1/1" in last, last


def test_plain_lines_report_the_finished_share():
    log = io.StringIO()
    progress = Progress(total_bytes=100, total_files=1, stream=log)
    progress.file("a.txt", 100)
    read = list(progress.reading(_pages(progress, [25, 50, 75, 100])))  # all read ahead
    results = progress.finishing(read)
    next(results)
    progress.last_log -= 60  # as if the last line were a minute old
    progress.page()
    assert log.getvalue().splitlines()[-1].startswith("[pipeline] 25% of 0.0 MB, 1 pages")


def test_pages_read_at_one_position_share_it():
    """A decompressor reads ahead: the last pages of a .bz2 dump all come at its end. The bar
    moves through them page by page instead of jumping to 100% with the first."""
    progress = Progress(total_bytes=100, total_files=1, quiet=True)
    progress.file("dump.xml.bz2", 100)
    read = list(progress.reading(_pages(progress, [20, 20] + [100] * 8)))
    seen = [progress.finished_bytes for _ in progress.finishing(read)]
    assert seen == [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]
