"""Per-page cache for sharded runs: pack files written by the shards, one index written by the run.

In: (doc_id, key) lookups from map tasks on any machine; out: the cached page outcome or None.
The key is `cache.page_key` (page text and metadata, the options that change rows, the code and
dependency versions), so a changed page or a new release can never be served stale rows.

Layout of the cache folder (shared storage when workers are on other machines):
- `packs/<run>-<shard>.pack`: the outcomes a shard computed, zlib-compressed pickles end to end,
  with `<…>.entries` beside it listing (doc_id, key, offset, length). Written by one task each,
  renamed into place when complete: no file is ever written by two processes.
- `index.sqlite`: doc_id -> (key, pack, offset, length) for every page of the last complete run.
  Only the coordinator writes it (at the end of a run, to a temporary file renamed over the old
  one); map tasks open it read-only and immutable, so nothing locks it over a network.
A killed run's finished packs are folded into the index when the next run starts (`recover`),
so its work is not lost. After a complete run, pages no longer in the inputs leave the index
(`removed`) and packs nobody points at are deleted. An unreadable index or pack is a cache
miss (the page is parsed again), never an error of the run.
"""

from __future__ import annotations

import os
import pickle
import sqlite3
import zlib
from dataclasses import dataclass
from pathlib import Path

INDEX = "index.sqlite"
PACKS = "packs"


@dataclass
class CacheStats:
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    removed: int = 0

    def add(self, other: "CacheStats") -> None:
        for name in ("new", "changed", "unchanged", "removed"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def _ro(path: Path) -> str:
    """A read-only, immutable SQLite URI: no locks, no journal (safe on shared storage)."""
    return path.resolve().as_uri() + "?mode=ro&immutable=1"


def _open_index(path: Path) -> sqlite3.Connection | None:
    if not path.is_file():
        return None
    try:
        db = sqlite3.connect(_ro(path), uri=True)
        db.execute("SELECT doc_id, key, pack, offset, length FROM pages LIMIT 1").fetchall()
        return db
    except sqlite3.Error:
        return None


class ShardCache:
    """A map task's view of the cache: read the index and old packs, write its own pack."""

    def __init__(self, folder: Path | None, run_id: str, shard: str):
        self.stats = CacheStats()
        self.folder = folder
        self.entries: list[tuple] = []  # every page seen: (doc_id, key, pack, offset, length)
        self.db = self.pack = None
        self.handles: dict[str, object] = {}
        if folder is None:
            return
        self.db = _open_index(folder / INDEX)
        self.name = f"{run_id}-{shard}"
        (folder / PACKS).mkdir(parents=True, exist_ok=True)
        self.tmp = folder / PACKS / f".{self.name}.pack.tmp"
        self.pack = open(self.tmp, "wb")
        self.written: list[tuple] = []

    @property
    def enabled(self) -> bool:
        return self.folder is not None

    def get(self, doc_id: str, key: str):
        """The cached outcome of an unchanged page; counts new/changed/unchanged."""
        row = None
        if self.db is not None:
            try:
                row = self.db.execute("SELECT key, pack, offset, length FROM pages WHERE doc_id = ?",
                                      (doc_id,)).fetchone()
            except sqlite3.Error:
                row = None
        if row is None:
            self.stats.new += 1
            return None
        if row[0] != key:
            self.stats.changed += 1
            return None
        try:
            value = pickle.loads(zlib.decompress(self._read(*row[1:])))
        except Exception:  # a damaged or missing pack: parse the page again
            self.stats.changed += 1
            return None
        self.stats.unchanged += 1
        self.entries.append((doc_id, *row))
        return value

    def _read(self, pack: str, offset: int, length: int) -> bytes:
        f = self.handles.get(pack)
        if f is None:
            f = self.handles[pack] = open(self.folder / PACKS / f"{pack}.pack", "rb")
        f.seek(offset)
        data = f.read(length)
        if len(data) != length:
            raise EOFError(pack)
        return data

    def put(self, doc_id: str, key: str, value) -> None:
        if self.pack is None:
            return
        blob = zlib.compress(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL), 1)
        entry = (doc_id, key, self.name, self.pack.tell(), len(blob))
        self.pack.write(blob)
        self.entries.append(entry)
        self.written.append(entry)

    def close(self) -> list[tuple]:
        """Finish the pack (entries file first, then the pack under its final name); the entries
        of every page seen, for the run's index."""
        for f in self.handles.values():
            f.close()
        if self.db is not None:
            self.db.close()
        if self.pack is not None:
            self.pack.close()
            if self.written:
                _write_pickle(self.folder / PACKS / f"{self.name}.entries", self.written)
                os.replace(self.tmp, self.folder / PACKS / f"{self.name}.pack")
            else:
                self.tmp.unlink(missing_ok=True)
        return self.entries


def _write_pickle(path: Path, value) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
    os.replace(tmp, path)


def _packs(folder: Path) -> set[str]:
    return {p.name.removesuffix(".pack") for p in (folder / PACKS).glob("*.pack")}


def recover(folder: Path | None) -> int:
    """Fold the finished packs of a killed run into the index; the number of pages added."""
    if folder is None or not (folder / PACKS).is_dir():
        return 0
    db = _open_index(folder / INDEX)
    known = {row[0] for row in db.execute("SELECT DISTINCT pack FROM pages")} if db else set()
    if db:
        db.close()
    orphans = sorted(p for p in _packs(folder) if p not in known
                     and (folder / PACKS / f"{p}.entries").is_file())
    if not orphans:
        return 0
    entries = []
    for name in orphans:
        try:
            entries += pickle.loads((folder / PACKS / f"{name}.entries").read_bytes())
        except Exception:
            continue
    return _rebuild(folder, entries, keep_old=True)[0]


def commit(folder: Path | None, entries_files: list[Path]) -> int:
    """After a complete run: the index becomes exactly the pages of this run (in input order,
    the first copy of a doc_id wins); packs nobody points at are deleted. Returns `removed`."""
    if folder is None:
        return 0

    def entries():
        for path in entries_files:
            yield from pickle.loads(path.read_bytes())

    _, removed = _rebuild(folder, entries(), keep_old=False)
    used = _packs_in_index(folder)
    for path in (folder / PACKS).iterdir():
        name = path.name.removesuffix(".pack").removesuffix(".entries")
        if name not in used and not path.name.startswith("."):
            path.unlink(missing_ok=True)
    return removed


def _packs_in_index(folder: Path) -> set[str]:
    db = _open_index(folder / INDEX)
    if db is None:
        return set()
    try:
        return {row[0] for row in db.execute("SELECT DISTINCT pack FROM pages")}
    finally:
        db.close()


def _rebuild(folder: Path, entries, keep_old: bool) -> tuple[int, int]:
    """A new index from `entries` (plus the old one's rows, if keep_old), renamed into place.
    Returns (entries added, old doc_ids not in the new index)."""
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{INDEX}.tmp-{os.getpid()}"
    tmp.unlink(missing_ok=True)
    db = sqlite3.connect(tmp.resolve().as_uri(), uri=True, isolation_level=None)
    db.execute("PRAGMA journal_mode=OFF")
    db.execute("PRAGMA synchronous=OFF")
    db.execute("BEGIN")
    db.execute("CREATE TABLE pages (doc_id TEXT PRIMARY KEY, key TEXT, pack TEXT, offset INTEGER, "
               "length INTEGER)")
    added = db.executemany("INSERT OR IGNORE INTO pages VALUES (?, ?, ?, ?, ?)", entries).rowcount
    removed = 0
    old = folder / INDEX
    if _open_index(old) is not None:
        db.execute("ATTACH DATABASE ? AS old", (_ro(old),))
        if keep_old:
            db.execute("INSERT OR IGNORE INTO pages SELECT * FROM old.pages")
        else:
            removed = db.execute("SELECT count(*) FROM old.pages WHERE doc_id NOT IN "
                                 "(SELECT doc_id FROM main.pages)").fetchone()[0]
        db.execute("COMMIT")
        db.execute("DETACH DATABASE old")
    else:
        db.execute("COMMIT")
    db.close()
    os.replace(tmp, old)
    return added, removed
