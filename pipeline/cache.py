"""Per-document cache: a page's DocResult, keyed by what determines it, in one SQLite file.

In: (doc_id, key) lookups and stores. Out: the cached DocResult, or None.
The key hashes the page's text and metadata, the options that change a page's rows (variant,
near-duplicate settings), the pipeline version, the versions of its dependencies and a digest of
the package's own source, so a code or dictionary change can never serve stale rows and nobody
has to remember to bump a number. Timeouts and crashes are not cached (see run.TRANSIENT). One row per doc_id: a new dump replaces
a changed page's row; pages no longer in the inputs are deleted at the end of a run (`removed`).

SQLite because it is one file, transactional (a SIGKILL leaves the last committed state) and
needs no server; results are pickled and zlib-compressed. It commits every `COMMIT_EVERY` pages
or `COMMIT_SECONDS`, whichever comes first, so a killed run keeps nearly all its work.

A cache is disposable, so it never stops a run. A file that is not a readable SQLite database
(garbled, truncated) is moved aside and rebuilt; one entry that does not unpickle is a miss and is
replaced; a cache that cannot be opened or written (a read-only folder, a full disk) is switched
off for the rest of the run. Each case is said on stderr and recorded as a `cache-corrupt` or
`cache-unusable` row in `errors` (`problems`), and the run goes on.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import re
import sqlite3
import time
import zlib
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from . import __version__
from .model import Problem, RawPage

COMMIT_EVERY = 500
COMMIT_SECONDS = 10.0
FILE = "documents.sqlite"


@lru_cache(maxsize=1)
def dependency_versions() -> dict[str, str | None]:
    """The installed version of every declared dependency (OpenCC's dictionaries, jieba's,
    CLDR's names all change rows)."""
    versions: dict[str, str | None] = {}
    for req in metadata.requires("pipeline") or []:
        if "extra ==" in req:
            continue
        name = re.split(r"[<>=!~;\[ ]", req, maxsplit=1)[0]
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return dict(sorted(versions.items()))


@lru_cache(maxsize=1)
def code_digest() -> str:
    """The package's own code (not the benchmark harness) and its dependencies' versions."""
    root = Path(__file__).parent
    h = hashlib.sha256(__version__.encode())
    h.update(repr(dependency_versions()).encode())
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        if rel.startswith("bench/"):
            continue
        h.update(rel.encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def page_key(page: RawPage, options_token: str) -> str:
    h = hashlib.sha256()
    # Not the file name: next month's dump has a new name and the same pages.
    for part in (code_digest(), options_token, page.doc_id, page.format, page.title or "",
                 repr(page.meta), page.text):
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    return h.hexdigest()


@dataclass
class CacheStats:
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    removed: int = 0


class Cache:
    def __init__(self, folder: Path | None):
        self.stats = CacheStats()
        self.problems: list[Problem] = []  # for the run to write to `errors`
        self.db = None
        self.pending = 0
        self.committed = time.monotonic()
        self.path = folder / FILE if folder is not None else None
        if folder is None:
            return
        try:
            folder.mkdir(parents=True, exist_ok=True)
            self._open()
        except sqlite3.DatabaseError as e:  # not a database, or a damaged one: rebuild it
            self._close_quietly()
            self._problem("cache-corrupt", f"the cache was unreadable ({e}): rebuilt from scratch")
            try:
                self._discard_file()
                self._open()
            except (sqlite3.Error, OSError) as e2:
                self._off(e2)
        except (sqlite3.Error, OSError) as e:
            self._off(e)

    def _open(self) -> None:
        self.db = sqlite3.connect(self.path, isolation_level="DEFERRED")
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("CREATE TABLE IF NOT EXISTS results (doc_id TEXT PRIMARY KEY, key TEXT, blob BLOB)")
        # Reads the table's first page and its index: a garbled or cut file fails here, not
        # after hours of a run.
        self.db.execute("SELECT count(*) FROM (SELECT doc_id FROM results LIMIT 1)").fetchone()
        # The pages of this run, to forget the others at the end: a temporary table (on disk),
        # not a set, so memory does not grow with the dump.
        self.db.execute("PRAGMA temp_store=FILE")
        self.db.execute("CREATE TEMP TABLE seen (doc_id TEXT PRIMARY KEY)")

    def _discard_file(self) -> None:
        for suffix in ("", "-wal", "-shm"):
            try:
                os.remove(f"{self.path}{suffix}")
            except FileNotFoundError:
                pass

    def _close_quietly(self) -> None:
        if self.db is not None:
            try:
                self.db.close()
            except sqlite3.Error:
                pass
        self.db = None

    def _problem(self, kind: str, what: str, doc_id: str | None = None) -> None:
        self.problems.append(Problem(str(self.path), doc_id, "cache", kind, f"{self.path}: {what}"))

    def _off(self, e: Exception) -> None:
        """Go on without a cache: pages are processed from scratch, nothing is lost."""
        self._close_quietly()
        self._problem("cache-unusable", f"cannot use the cache ({e}); running without it")

    def _failed(self, e: sqlite3.Error) -> None:
        """The database broke during the run: off for this run, and rebuilt by the next."""
        corrupt = isinstance(e, sqlite3.DatabaseError) and not isinstance(e, sqlite3.OperationalError)
        self._close_quietly()
        if corrupt:
            self._problem("cache-corrupt", f"the cache is damaged ({e}): switched off for this "
                                           "run and removed, so the next run rebuilds it")
            try:
                self._discard_file()
            except OSError:
                pass
        else:
            self._off(e)

    @property
    def enabled(self) -> bool:
        return self.db is not None

    def get(self, doc_id: str, key: str):
        """The cached result for an unchanged page; counts new/changed/unchanged."""
        if self.db is None:
            self.stats.new += 1
            return None
        try:
            self.db.execute("INSERT OR IGNORE INTO temp.seen VALUES (?)", (doc_id,))
            row = self.db.execute("SELECT key, blob FROM results WHERE doc_id = ?", (doc_id,)).fetchone()
        except sqlite3.Error as e:
            self._failed(e)
            self.stats.new += 1
            return None
        if row is None:
            self.stats.new += 1
            return None
        if row[0] != key:
            self.stats.changed += 1
            return None
        try:
            value = pickle.loads(zlib.decompress(row[1]))
        except Exception as e:  # one damaged entry: a miss, overwritten by this run's result
            self._problem("cache-corrupt", f"entry for {doc_id} unreadable ({type(e).__name__}); "
                                           "processed again", doc_id)
            self.stats.changed += 1
            return None
        self.stats.unchanged += 1
        return value

    def put(self, doc_id: str, key: str, value) -> None:
        if self.db is None:
            return
        blob = zlib.compress(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL), 1)
        try:
            self.db.execute("INSERT OR REPLACE INTO results VALUES (?, ?, ?)", (doc_id, key, blob))
            self.pending += 1
            if self.pending >= COMMIT_EVERY or time.monotonic() - self.committed > COMMIT_SECONDS:
                self._commit()
        except sqlite3.Error as e:
            self._failed(e)

    def _commit(self) -> None:
        self.db.commit()
        self.pending = 0
        self.committed = time.monotonic()

    def close(self, complete: bool) -> None:
        """Commit; after a complete run, forget pages that are no longer in the inputs."""
        if self.db is None:
            return
        try:
            if complete:
                self.stats.removed = self.db.execute(
                    "DELETE FROM results WHERE doc_id NOT IN (SELECT doc_id FROM temp.seen)").rowcount
            self._commit()
        except sqlite3.Error as e:
            self._failed(e)
        self._close_quietly()
