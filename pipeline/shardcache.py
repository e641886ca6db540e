"""Whole-shard reuse: a shard whose input is unchanged gets what the last run made of it.

In: a planned shard (plan.py) and the run's Job. Out: the shard's map outputs (`<shard>.items`,
`.keys`, `.cache`, its MapInfo), its dedup decisions (`.dups`) and its part files, taken from the
cache folder instead of being read, parsed, decided and written again; the outputs are byte for
byte those of a run that did the work (tests/test_rerun.py).

A shard's `identity` hashes all its outputs depend on, without decompressing anything: its
pieces' bytes (a multistream range: the header stream and the range's compressed streams; a whole
file: its content), the sources' names and doc ids, the range's place in its dump, the planning
notes, the options that change rows, the namespaces read, and `cache.code_digest()` (the code and
its dependencies' versions). Three levels, each reused only if the one before it was:
- map: the shard's intermediates, stored under its identity;
- decisions: a shard's `.dups` depend on its keys and on those of every shard before it, so they
  are stored with a digest of the chain of identities up to it. When every shard's decisions are
  stored with this run's chain, the global pass (dedup_pass.py) is skipped;
- finalize: the part files, when the shard's decisions and its reader offsets (finalize.py) are
  those they were made from.

Layout: `<cache>/shards/<identity>/` holds `map` (MapInfo's numbers, the pages' cache entries,
digests of `items` and `keys`), `items`, `keys`, `dups` and `final` (FinalInfo and every part
file's bytes, one file: a shard's thousands of small wide tables cost more as files than as
bytes). `map`, `dups` and `final` begin with their own digest.
A shard is stored only from a map that had no transient outcome (pages.TRANSIENT: timeouts,
crashes) and no cache problem, of input that did not change while it was read. A stored shard
with a file missing or not matching its digest is a miss with a `cache-corrupt` row in `errors`
(as for a page). `commit` keeps the stored shards this run used (and their entries' packs, see
pagecache.commit) and deletes the others.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import shutil
from dataclasses import replace
from pathlib import Path

from . import dedup_pass as dedup_module, finalize as finalize_module, shardmap
from .cache import code_digest
from .model import Problem
from .pagecache import CacheStats, compress, decompress
from .read import file_identity

SHARDS = "shards"
FORMAT = 2  # of the stored files (2: compressed); part of the identity


def identity(shard, job) -> str | None:
    """The digest of everything the shard's map outputs depend on (module docstring); None if
    an input cannot be read (the map reports it)."""
    h = hashlib.sha256()
    options = job.options
    for part in (str(FORMAT), code_digest(), options.token(), repr(sorted(options.namespaces)),
                 repr(shard.notes)):
        h.update(part.encode("utf-8", "surrogatepass") + b"\x00")
    try:
        for piece in shard.pieces:
            f = piece.file
            h.update(repr((f.source, f.doc_id, piece.ranged, piece.part, piece.end is None)).encode(
                "utf-8", "surrogatepass"))
            spans = [(0, piece.header_end), (piece.start, piece.end)] if piece.ranged else [(0, None)]
            with open(f.path, "rb") as data:
                for start, end in spans:
                    data.seek(start)
                    left = None if end is None else end - start
                    while left is None or left > 0:
                        chunk = data.read(1 << 20 if left is None else min(1 << 20, left))
                        if not chunk:
                            break
                        h.update(chunk)
                        if left is not None:
                            left -= len(chunk)
                    h.update(b"\x00")
    except OSError:
        return None
    return h.hexdigest()


def _folder(job, key: str) -> Path:
    return job.cache / SHARDS / key


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _blobs(cache: Path, entries: list[tuple]) -> str | None:
    """The digest of the cached outcomes the entries point at (so a stored shard is reused only
    while its pages' entries can still be read by a later run's page cache); None if one cannot."""
    h = hashlib.sha256()
    handles = {}
    try:
        for _, _, pack, offset, length in entries:
            f = handles.get(pack) or handles.setdefault(pack, open(cache / "packs" / f"{pack}.pack", "rb"))
            f.seek(offset)
            blob = f.read(length)
            if len(blob) != length:
                return None
            h.update(blob)
    except OSError:
        return None
    finally:
        for f in handles.values():
            f.close()
    return h.hexdigest()


def _dumps(value) -> bytes:
    """A pickle, compressed (a shard's CSV parts and wide tables shrink about fivefold), with
    its digest in front, so damage anywhere is found (`_load`)."""
    data = compress(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
    return hashlib.sha256(data).hexdigest().encode() + data


def _load(path: Path):
    data = path.read_bytes()
    if hashlib.sha256(data[64:]).hexdigest().encode() != data[:64]:
        raise ValueError("digest differs")
    return pickle.loads(decompress(data[64:]))


def _link(src: Path, dst: Path) -> None:
    """`dst` as a second name of `src` (neither is written again), or a copy."""
    dst.unlink(missing_ok=True)
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)


def _corrupt(folder: Path, what: str, e: Exception | str) -> Problem:
    reason = e if isinstance(e, str) else type(e).__name__
    return Problem(str(folder), None, "cache", "cache-corrupt",
                   f"{folder}: stored shard unusable ({what}: {reason}); done again")


# -- map ----------------------------------------------------------------------------------------

def map_shard(shard, job):
    """shardmap.map_shard, or its stored outputs when the shard's identity is stored."""
    key = identity(shard, job) if job.cache is not None else None
    problem = None
    if key is not None:
        reused = _reuse_map(shard, job, key)
        if not isinstance(reused, Problem | None):
            return reused
        problem = reused
    # A stored shard found damaged: its row comes first in the shard's errors, and this map is
    # not stored (its items hold that row); commit deletes the damaged one.
    todo = replace(shard, notes=(problem, *shard.notes)) if problem else shard
    info = shardmap.map_shard(todo, job)
    info.key = key or ""
    if key is not None and problem is None and info.storable and _unchanged_inputs(shard):
        info.stored, info.packs = _store_map(shard, job, key, info)
    return info


def _unchanged_inputs(shard) -> bool:
    """Whether every input is still the file discover found (not written to while read)."""
    return all(p.file.identity is not None and file_identity(p.file.path) == p.file.identity
               for p in shard.pieces)


def _reuse_map(shard, job, key: str):
    """The stored map outputs copied into this run's work folder: MapInfo; None if not stored;
    a Problem if stored but damaged."""
    folder = _folder(job, key)
    if not folder.is_dir():
        return None
    try:
        stored = _load(folder / "map")
        for kind in ("items", "keys"):
            if _digest(folder / kind) != stored["digests"][kind]:
                return _corrupt(folder, kind, "digest differs")
        if _blobs(job.cache, pickle.loads(stored["entries"])) != stored["digests"]["blobs"]:
            # A pack the pages' entries point at is damaged or gone: the shard is mapped again,
            # where the page cache reports each page it cannot read (pagecache.py).
            return None
        job.work.mkdir(parents=True, exist_ok=True)
        for kind in ("items", "keys"):
            _link(folder / kind, shardmap.path(job, shard.no, kind))
        shardmap.path(job, shard.no, "cache").write_bytes(stored["entries"])
    except Exception as e:  # unreadable, cut short, not ours: a miss
        return _corrupt(folder, "map", e)
    return shardmap.MapInfo(shard.no, ranges=stored["ranges"], documents=stored["documents"], key=key,
                            stored=True, reused=True, packs=tuple(stored["packs"]))


def _store_map(shard, job, key: str, info) -> tuple[bool, tuple[str, ...]]:
    """The map's intermediates under the shard's identity (renamed into place whole)."""
    final = _folder(job, key)
    tmp = final.with_name(f".tmp-{job.run_id}-{shard.name}")
    try:
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        for kind in ("items", "keys"):
            _link(shardmap.path(job, shard.no, kind), tmp / kind)
        entries = shardmap.path(job, shard.no, "cache").read_bytes()
        packs = tuple(sorted({e[2] for e in pickle.loads(entries)}))
        blobs = _blobs(job.cache, pickle.loads(entries))
        if blobs is None:
            raise OSError("a pack cannot be read back")
        (tmp / "map").write_bytes(_dumps({
            "documents": info.documents, "ranges": info.ranges, "entries": entries, "packs": packs,
            "digests": {**{kind: _digest(tmp / kind) for kind in ("items", "keys")}, "blobs": blobs},
        }))
        shutil.rmtree(final, ignore_errors=True)
        os.replace(tmp, final)
    except OSError:  # a full disk, a read-only cache: the shard is just not stored
        shutil.rmtree(tmp, ignore_errors=True)
        return False, ()
    return True, packs


# -- decisions ----------------------------------------------------------------------------------

def _chain(infos) -> list[str | None]:
    """Per shard, the digest of the identities of it and every shard before it (None once a
    shard has none)."""
    out, h = [], hashlib.sha256()
    for info in infos:
        if h is not None and info.key:
            h.update(info.key.encode())
            out.append(h.hexdigest())
        else:
            h = None
            out.append(None)
    return out


def decide(runner, job, infos: list, near, min_parts: int = 1) -> CacheStats:
    """The global pass's `.dups` for every shard (stored ones when all are stored for this chain
    of shards, else the pass itself, as tasks on `runner`); the cache's counts. `infos`: the
    MapInfo of every shard."""
    chain = _chain(infos)
    if job.cache is not None and all(i.reused for i in infos):
        stats = _reuse_decisions(job, infos, chain)
        if stats is not None:
            return stats
    stats = dedup_module.dedup_pass(runner, job.work, [i.shard for i in infos], near, min_parts=min_parts,
                                    reused=frozenset(i.shard for i in infos if i.reused))
    for info, digest in zip(infos, chain):
        if info.stored and digest is not None:
            dups = shardmap.path(job, info.shard, "dups")
            _write(_folder(job, info.key) / "dups", _dumps((digest, dups.read_bytes())))
    return stats


def _reuse_decisions(job, infos, chain) -> CacheStats | None:
    found = []
    for info, digest in zip(infos, chain):
        try:
            stored, dups = _load(_folder(job, info.key) / "dups")
            decisions = pickle.loads(dups)
        except Exception:  # not stored (a killed run), or damaged: the pass runs
            return None
        if stored != digest:
            return None
        found.append((info, dups, decisions))
    stats = CacheStats()
    for info, dups, decisions in found:
        shardmap.path(job, info.shard, "dups").write_bytes(dups)
        copies = sum(1 for d in decisions.values()
                     if isinstance(d, tuple) and d[0] == dedup_module.DUPLICATE_PAGE)
        stats.unchanged += info.documents - copies  # the pass counts first copies only
    return stats


def _write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)


# -- finalize -----------------------------------------------------------------------------------

def finalize_shard(item, job, offsets: dict):
    """finalize.finalize_shard for `item` = (shard, its MapInfo), or its stored part files when
    its decisions and reader offsets are those they were made from."""
    shard, info = item
    if not info.stored or job.cache is None:
        return finalize_module.finalize_shard(shard, job, offsets)
    dups = shardmap.path(job, shard.no, "dups")
    h = hashlib.sha256(info.key.encode())
    h.update(dups.read_bytes() if dups.exists() else b"")
    # What the dump's earlier ranges held: it moves the positions in read problems' messages
    # only, so it matters only to a shard that has some.
    where = repr(sorted((p.file.source, offsets.get((p.file.source, p.part))) for p in shard.pieces if p.ranged))
    key = h.hexdigest(), where
    stored = _folder(job, info.key) / "final"
    notes = ()
    if stored.exists():
        reused = _reuse_parts(stored, key, shard, job)
        if not isinstance(reused, Problem | None):
            return reused
        if reused is not None:  # damaged: finalize writes its row, and the next run stores anew
            notes = (reused,)
            stored.unlink(missing_ok=True)
    final = finalize_module.finalize_shard(shard, job, offsets, notes=notes)
    if not notes:
        _store_parts(stored, key, shard, job, final)
    return final


def _template(rel: str, part: str) -> str:
    """A part file's path with its shard's number as `{part}` (wide tables are named by doc id)."""
    if rel.startswith("tables/"):
        return rel.replace("{", "{{").replace("}", "}}")
    head, _, name = rel.rpartition("/")
    return f"{head}/{name.replace(part, '{part}', 1)}"


def _reuse_parts(path: Path, key: tuple[str, str], shard, job):
    """The stored part files written into this run's folder: FinalInfo; None if they were made
    from other decisions; a Problem if damaged."""
    try:
        stored_key, info, files = _load(path)
    except Exception as e:
        return _corrupt(path.parent, "final", e)
    if stored_key[0] != key[0] or (info.read_problems and stored_key[1] != key[1]):
        return None
    tmp = job.work.parent
    for template, data in files:
        target = tmp / template.format(part=shard.name)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return replace(info, shard=shard.no)


def _store_parts(path: Path, key: tuple[str, str], shard, job, final) -> None:
    """All of a shard's part files in one file (thousands of small wide tables cost more in
    file-system calls than in bytes)."""
    try:
        files = [(_template(rel, shard.name), (job.work.parent / rel).read_bytes()) for rel in final.files]
        _write(path, _dumps((key, final, files)))
    except OSError:
        pass


# -- commit -------------------------------------------------------------------------------------

def commit(cache: Path | None, infos: list) -> set[str]:
    """After a complete run: the stored shards this run did not use are deleted (and the stores
    of killed runs); returns the packs the kept ones' entries point at (pagecache.commit)."""
    if cache is None:
        return set()
    used = {i.key for i in infos if i.stored}
    root = cache / SHARDS
    if root.is_dir():
        for folder in root.iterdir():
            if folder.name not in used:
                shutil.rmtree(folder, ignore_errors=True)
    return {p for i in infos if i.stored for p in i.packs}
