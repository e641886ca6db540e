"""Per-document cache: a page's DocResult, keyed by what determines it, in one SQLite file.

In: (doc_id, key) lookups and stores. Out: the cached DocResult, or None.
The key hashes the page's text and metadata, the options that change a page's rows (variant,
near-duplicate settings), the pipeline version, the versions of its dependencies and a digest of
the package's own source, so a code or dictionary change can never serve stale rows and nobody
has to remember to bump a number. Timeouts and crashes are not cached (see run.TRANSIENT). One row per doc_id: a new dump replaces
a changed page's row; pages no longer in the inputs are deleted at the end of a run (`removed`).

SQLite because it is one file, transactional (a SIGKILL leaves the last committed state) and
needs no server; results are pickled and zlib-compressed.
"""

from __future__ import annotations

import hashlib
import pickle
import re
import sqlite3
import zlib
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from . import __version__
from .model import RawPage

COMMIT_EVERY = 500


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
        self.db = None
        self.pending = 0
        if folder is None:
            return
        folder.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(folder / "documents.sqlite", isolation_level="DEFERRED")
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("CREATE TABLE IF NOT EXISTS results (doc_id TEXT PRIMARY KEY, key TEXT, blob BLOB)")
        # The pages of this run, to forget the others at the end: a temporary table (on disk),
        # not a set, so memory does not grow with the dump.
        self.db.execute("PRAGMA temp_store=FILE")
        self.db.execute("CREATE TEMP TABLE seen (doc_id TEXT PRIMARY KEY)")

    @property
    def enabled(self) -> bool:
        return self.db is not None

    def get(self, doc_id: str, key: str):
        """The cached result for an unchanged page; counts new/changed/unchanged."""
        if self.db is None:
            self.stats.new += 1
            return None
        self.db.execute("INSERT OR IGNORE INTO temp.seen VALUES (?)", (doc_id,))
        row = self.db.execute("SELECT key, blob FROM results WHERE doc_id = ?", (doc_id,)).fetchone()
        if row is None:
            self.stats.new += 1
            return None
        if row[0] != key:
            self.stats.changed += 1
            return None
        self.stats.unchanged += 1
        return pickle.loads(zlib.decompress(row[1]))

    def put(self, doc_id: str, key: str, value) -> None:
        if self.db is None:
            return
        blob = zlib.compress(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL), 1)
        self.db.execute("INSERT OR REPLACE INTO results VALUES (?, ?, ?)", (doc_id, key, blob))
        self.pending += 1
        if self.pending >= COMMIT_EVERY:
            self.db.commit()
            self.pending = 0

    def close(self, complete: bool) -> None:
        """Commit; after a complete run, forget pages that are no longer in the inputs."""
        if self.db is None:
            return
        if complete:
            self.stats.removed = self.db.execute(
                "DELETE FROM results WHERE doc_id NOT IN (SELECT doc_id FROM temp.seen)").rowcount
        self.db.commit()
        self.db.close()
        self.db = None
