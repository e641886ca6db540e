"""Per-page cache for sharded runs: pack files written by the shards, one index written by the run.

In: (doc_id, key) lookups from map tasks on any machine; out: the cached page outcome or None.
The key is `cache.page_key` (page text and metadata, the options that change rows, the code and
dependency versions), so a changed page or a new release can never be served stale rows.

Layout of the cache folder (shared storage when workers are on other machines):
- `packs/<run>-<shard>.pack`: the outcomes a shard computed end to end, each its dedup keys
  (a zlib'd pickle) and its outcome (`pack_outcome`, with a CRC-32 so damage is found here),
  with `<…>.entries` beside it listing (doc_id, key, offset, length). Written by one task each
  (no file is ever written by two processes), appended as it goes: an entry is written only
  after its bytes are flushed to the pack, every FLUSH_EVERY pages or FLUSH_SECONDS.
- `index.sqlite`: doc_id -> (key, pack, offset, length) for every page of the last complete run.
  Only the coordinator writes it (at the end of a run, to a temporary file renamed over the old
  one); map tasks open it read-only and immutable, so nothing locks it over a network.
A killed or stopped run's packs are folded into the index when the next run starts (`prepare`),
so the pages it did are not done again. After a complete run, pages no longer in the inputs
leave the index (`removed`) and packs nobody points at are deleted.

A cache is disposable, so it never stops a run: an index that is not a readable SQLite file is
moved aside and rebuilt, an entry that does not unpickle is a miss, a folder that cannot be
written or that holds files a cache does not write (the user's own) switches the cache off; each
is a `cache-corrupt` or `cache-unusable` row in `errors`.
"""

from __future__ import annotations

import os
import pickle
import re
import sqlite3
import struct
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from .model import Problem

INDEX = "index.sqlite"
PACKS = "packs"
FLUSH_EVERY = 50
FLUSH_SECONDS = 5.0
# What a cache folder may hold, as paths under it: this module's files, shardcache.py's `shards/`
# and fragments.py's `fragments/` (the same layout again), and an older release's
# `documents.sqlite`. Anything else is someone else's, and a run deletes the packs and stored
# shards nobody points at: a folder holding anything else is not used (`prepare`).
_OWN = re.compile(r"(fragments/)?(index\.sqlite(\.damaged)?|\.index\.sqlite\.tmp-\d+|packs"
                  r"|packs/[^/]+\.(pack|entries))|fragments|shards|shards/([0-9a-f]{64}|\.tmp-[^/]+)"
                  r"|documents\.sqlite(-journal|-wal|-shm)?")
_WALK = ("packs", "shards", "fragments", "fragments/packs")  # the folders whose entries are checked


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


def _sound(path: Path) -> bool:
    """Whether the index reads, all of it: `_open_index` reads its first row only, and an index
    damaged further on ("database disk image is malformed") failed a run's first full scan,
    which switched the cache off on every run, or its lookups, each a miss with no row."""
    db = _open_index(path)
    if db is None:
        return False
    try:
        return db.execute("PRAGMA quick_check").fetchall() == [("ok",)]  # every page, in one read
    except sqlite3.DatabaseError:
        return False
    finally:
        db.close()


class ShardCache:
    """A map task's view of the cache: read the index and old packs, append to its own pack."""

    def __init__(self, folder: Path | None, run_id: str, shard: str):
        self.stats = CacheStats()
        self.folder = folder
        self.entries: list[tuple] = []  # every page seen: (doc_id, key, pack, offset, length)
        self.problems: list[Problem] = []  # for the map to write to `errors`
        self.last = "new"  # what the last `get` found: new, changed or unchanged
        self.db = self.pack = None
        self.handles: dict[str, object] = {}
        if folder is None:
            return
        self.db = _open_index(folder / INDEX)
        self.name = f"{run_id}-{shard}"
        self.unflushed: list[tuple] = []
        self.flushed = time.monotonic()
        try:
            self.pack = open(folder / PACKS / f"{self.name}.pack", "wb")
            self.index = open(folder / PACKS / f"{self.name}.entries", "wb")
        except OSError as e:
            self._off(e)

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
        self.last = "new" if row is None else "changed" if row[0] != key else "unchanged"
        if self.last != "unchanged":
            return None
        try:
            value = _unpack(self._read(*row[1:]))
        except Exception as e:  # a damaged or missing pack: a miss, replaced by this run's result
            path = self.folder / PACKS / f"{row[1]}.pack"
            self.problems.append(Problem(str(path), doc_id, "cache", "cache-corrupt",
                                         f"{path}: entry for {doc_id} unreadable ({type(e).__name__}); "
                                         "processed again"))
            self.last = "changed"
            return None
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

    def put(self, doc_id: str, key: str, keys, packed: bytes) -> None:
        """A page's dedup keys and its packed outcome (`pack_outcome`)."""
        if self.pack is None:
            return
        head = zlib.compress(pickle.dumps(keys, protocol=pickle.HIGHEST_PROTOCOL), 1)
        blob = struct.pack(">II", len(head), zlib.crc32(packed)) + head + packed
        try:
            entry = (doc_id, key, self.name, self.pack.tell(), len(blob))
            self.pack.write(blob)
            self.entries.append(entry)
            self.unflushed.append(entry)
            if len(self.unflushed) >= FLUSH_EVERY or time.monotonic() - self.flushed > FLUSH_SECONDS:
                self._flush()
        except OSError as e:
            self._off(e)

    def _flush(self) -> None:
        """The pack's bytes first, then the entries that point into them."""
        self.pack.flush()
        for entry in self.unflushed:
            pickle.dump(entry, self.index, protocol=pickle.HIGHEST_PROTOCOL)
        self.index.flush()
        self.unflushed = []
        self.flushed = time.monotonic()

    def _off(self, e: OSError) -> None:
        """The pack cannot be written (a full disk, a read-only folder): go on without it."""
        for f in (self.pack, getattr(self, "index", None)):
            try:
                if f is not None:
                    f.close()
            except OSError:
                pass
        self.pack = None
        self.problems.append(Problem(str(self.folder), None, "cache", "cache-unusable",
                                     f"{self.folder}: cannot write the cache ({e.strerror or e}); "
                                     "this shard's pages are not cached"))

    def close(self) -> list[tuple]:
        """Flush the pack; the entries of every page seen, for the run's index."""
        for f in self.handles.values():
            f.close()
        if self.db is not None:
            self.db.close()
        if self.pack is not None:
            try:
                self._flush()
                self.pack.close()
                self.index.close()
            except OSError as e:
                self._off(e)
        return self.entries


CODEC = "zstd"  # through pyarrow, no other dependency: a fifth of the size at about 0.5 GB/s


def compress(data: bytes) -> bytes:
    """`data` compressed, with its size in front (what `decompress` needs)."""
    return struct.pack(">Q", len(data)) + pa.compress(data, codec=CODEC, asbytes=True)


def decompress(blob: bytes) -> bytes:
    (size,) = struct.unpack_from(">Q", blob)
    return pa.decompress(blob[8:], decompressed_size=size, codec=CODEC, asbytes=True)


def pack_outcome(outcome, level: int = 1) -> bytes:
    """A page's outcome as the cache and the map's items file hold it: compressed once, then
    passed through as bytes (a hit is not unpickled and pickled again: shardmap.py). Level 0
    (stored, not compressed) when nothing is cached: compressing was 1.6% of a --no-cache run."""
    return zlib.compress(pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL), level)


def unpack_outcome(packed: bytes):
    return pickle.loads(zlib.decompress(packed))


def _unpack(blob: bytes) -> tuple:
    """(dedup keys, packed outcome) of a pack entry: its keys unpickled, its outcome checked
    (CRC-32) but left packed. Raises for a damaged entry."""
    size, crc = struct.unpack_from(">II", blob)
    packed = blob[8 + size:]
    if zlib.crc32(packed) != crc:
        raise ValueError("checksum differs")
    return pickle.loads(zlib.decompress(blob[8:8 + size])), packed


def _packs(folder: Path) -> set[str]:
    return {p.name.removesuffix(".pack") for p in (folder / PACKS).glob("*.pack")}


def prepare(folder: Path | None) -> tuple[Path | None, list[Problem]]:
    """Before a run: the cache folder to use (None: off) and what was wrong with it. A damaged
    index is moved aside (so the run rebuilds it); the packs of a killed or stopped run are
    folded into the index, so their pages are not done again."""
    if folder is None:
        return None, []
    problems = []
    try:
        strangers = _strangers(folder)
        if strangers:
            shown = ", ".join(strangers[:3]) + (" …" if len(strangers) > 3 else "")
            return None, [Problem(str(folder), None, "cache", "cache-unusable",
                                  f"{folder}: holds files this tool did not write ({shown}); running "
                                  "without a cache, which would delete some of them")]
        (folder / PACKS).mkdir(parents=True, exist_ok=True)
        index = folder / INDEX
        if index.exists() and not _sound(index):
            os.replace(index, folder / f"{INDEX}.damaged")
            problems.append(Problem(str(index), None, "cache", "cache-corrupt",
                                    f"{index}: the cache index was unreadable: rebuilt from the packs"))
        _recover(folder)
    except (OSError, sqlite3.Error) as e:
        reason = getattr(e, "strerror", None) or e
        return None, [Problem(str(folder), None, "cache", "cache-unusable",
                              f"{folder}: cannot use the cache ({reason}); running without it")]
    return folder, problems


def _strangers(folder: Path, rel: str = "") -> list[str]:
    """What a cache folder holds that a cache does not write (see _OWN), as paths under it."""
    out = []
    if not (folder / rel).is_dir():
        return out
    for path in sorted((folder / rel).iterdir()):
        name = f"{rel}{path.name}"
        if not _OWN.fullmatch(name):
            out.append(name)
        elif name in _WALK and path.is_dir() and not path.is_symlink():
            out += _strangers(folder, name + "/")
    return out


def _recover(folder: Path) -> int:
    """Fold the packs the index does not know into it; the number of pages added."""
    known = _packs_in_index(folder)
    orphans = sorted(p for p in _packs(folder) if p not in known)
    if not orphans:
        return 0
    entries = []
    for name in orphans:
        entries += _entries(folder / PACKS / f"{name}.entries")
    return _rebuild(folder, entries, keep_old=True)[0]


def _entries(path: Path) -> list[tuple]:
    """The entries a pack's file lists, up to the first one cut short by a kill."""
    out = []
    try:
        with open(path, "rb") as f:
            while True:
                out.append(pickle.load(f))
    except Exception:  # EOF, or a record cut short
        pass
    return out


def commit(folder: Path | None, entries_files: list[Path], keep: set[str] = frozenset()) -> int:
    """After a complete run: the index becomes exactly the pages of this run (in input order,
    the first copy of a doc_id wins); packs nobody points at (neither the index nor, in `keep`,
    a stored shard's entries: shardcache.py) are deleted. Returns `removed`."""
    if folder is None:
        return 0

    def entries():
        for path in entries_files:
            yield from pickle.loads(path.read_bytes())

    _, removed = _rebuild(folder, entries(), keep_old=False)
    (folder / f"{INDEX}.damaged").unlink(missing_ok=True)
    used = _packs_in_index(folder) | set(keep)
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
    try:
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
    except BaseException:  # a stop, a full disk: the old index stays, the half-written one goes
        db.close()
        tmp.unlink(missing_ok=True)
        raise
    return added, removed
