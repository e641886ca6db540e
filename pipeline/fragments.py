"""Page fragments: one page's finished rows, kept in the cache so a rerun copies them.

In: a page's outcome (as the map packed it) and the dedup pass's decisions for it. Out: what
finalize writes for the page, encoded once (write.encode: each table's rows as an Arrow record
batch and as CSV text; wide tables as their CSV files), with the numbers finalize adds up (row
counts, dropped templates) and the page's problems (replayed through finalize, which places
them in `errors`).

Why: after a monthly update most pages of a shard are unchanged, yet the shard's part files
must be written again around the changed ones. Turning a cached outcome back into records and
the records into Arrow and CSV cells was most of such a rerun (about half of it on the bench's
update). A fragment is copied instead.

The key hashes the outcome's bytes, the page's decisions and the code (`cache.code_digest`):
the same key is the same rows, whatever run made them, except the input file's name, which
the page's `documents` row and problems are given when written (next month's dump is a new
file with mostly the same pages). Fragments live in
`<cache>/fragments/` with the page cache's layout and rules (pagecache.py: packs written by one
task each, one index written by the run, a damaged entry is a miss with a `cache-corrupt` row).
Without a cache nothing is encoded: finalize writes records as before.
"""

from __future__ import annotations

import hashlib
import pickle
from collections import Counter
from dataclasses import replace
from pathlib import Path

from .cache import code_digest
from .dedup import apply
from .model import Problem
from .pagecache import ShardCache, compress, decompress
from .shardmap import outcome
from .write import PartWriter, encode, wide_table

FOLDER = "fragments"
FORMAT = 3  # of a fragment's bytes (a compressed pickle); part of the key
# The tables a page's rows go to encoded. Its `documents` row names the input file, which next
# month's dump renames: it is kept as a record and given the page's file when written, as are
# its problems (errors and redirects are written as records, by finalize).
TABLES = ("paragraphs", "duplicates", "tables", "table_cells", "members", "links", "infobox", "keywords")


def folder(cache: Path | None) -> Path | None:
    return cache / FOLDER if cache is not None else None


class Fragments:
    """A finalize task's view of the fragment store (one per shard)."""

    def __init__(self, cache: Path | None, run_id: str, shard: str):
        self.store = ShardCache(folder(cache), run_id, shard) if cache is not None else None

    def drain(self) -> list[Problem]:
        """The store's problems since the last call."""
        if self.store is None or not self.store.problems:
            return []
        out, self.store.problems = self.store.problems, []
        return out

    def key(self, packed: bytes, decision) -> str:
        h = hashlib.sha256(f"{FORMAT}\0{code_digest()}\0".encode())
        h.update(repr(sorted(decision.items()) if isinstance(decision, dict) else decision).encode())
        h.update(packed)
        return h.hexdigest()

    def get(self, doc_id: str, key: str):
        """The page's fragment (`make`), or None."""
        if self.store is None:
            return None
        found = self.store.get(doc_id, key)
        if found is None:
            return None
        try:
            return pickle.loads(decompress(found[1]))
        except Exception as e:  # checked by CRC in the pack: a changed format, or a bug
            self.store.problems.append(Problem(str(self.store.folder), doc_id, "cache", "cache-corrupt",
                                               f"{self.store.folder}: fragment of {doc_id} unreadable "
                                               f"({type(e).__name__}); written again"))
            return None

    def put(self, doc_id: str, key: str, fragment) -> None:
        if self.store is not None:
            self.store.put(doc_id, key, None, compress(pickle.dumps(fragment, protocol=pickle.HIGHEST_PROTOCOL)))

    def close(self, entries: Path) -> bool:
        """The entries of every fragment this shard used, for the run's fragment index, written
        to `entries`; False (nothing written) without a cache."""
        if self.store is None:
            return False
        entries.write_bytes(pickle.dumps(self.store.close(), protocol=pickle.HIGHEST_PROTOCOL))
        self.store = None
        return True


def rows(name: str, result, dups: list) -> list:
    """A page's rows of table `name` (one of TABLES), its decisions applied."""
    return dups if name == "duplicates" else getattr(result, name)


def counts(result, dups: list) -> dict[str, int]:
    """What a page adds to the run's summary."""
    return {"documents": 1, "paragraphs": len(result.paragraphs), "duplicates": len(dups),
            **{name: len(getattr(result, name)) for name in ("tables", "members", "links", "infobox", "keywords")}}


def make(pages: list[tuple]) -> list[tuple]:
    """Pages' rows, each (the DocResult with its decisions applied, its duplicate rows, dropped
    templates), encoded, each: (summary counts, dropped templates, problems, {table: encoded
    rows}, wide tables, documents row)."""
    tables: list[dict] = [{} for _ in pages]
    for name in TABLES:
        for mine, encoded in zip(tables, encode(name, [rows(name, r, d) for r, d, _ in pages])):
            if encoded[0]:
                mine[name] = encoded
    out = []
    for (result, dups, templates), mine in zip(pages, tables):
        wide = [wide_table(result.doc_id, index, columns, cells) for index, columns, cells in result.wide_tables]
        out.append((counts(result, dups), tuple(dict(templates).items()), list(result.problems), mine, wide,
                    result.document))
    return out


class Pages:
    """Finalize's work on a shard with a cache, in input order: each page's fragment, from the
    store or encoded, goes to the parts. Pages whose rows are not stored are encoded BATCH at a
    time (`make`), so what comes after them (their problems, the next pages, any `later`
    action such as a problem row) waits in a queue and is done in order."""

    BATCH = 64

    def __init__(self, store: Fragments, writer: PartWriter, summary: Counter, dropped: Counter, problem):
        self.store, self.writer, self.summary, self.dropped, self.problem = store, writer, summary, dropped, problem
        self.queue: list[tuple] = []  # (function, args) in order
        self.fresh: list[list] = []  # [doc_id, key, page rows -> its fragment once made]

    def later(self, fn, *args) -> None:
        self.queue.append((fn, args))

    def page(self, item, decision) -> None:
        """A PageOutcome (shardmap.py) and its decisions (dedup_pass.py)."""
        key = self.store.key(item.outcome, decision)
        fragment = self.store.get(item.doc_id, key)
        found = outcome(item) if fragment is None else None
        for p in self.store.drain():  # a damaged entry
            self.later(self.problem, p)
        if fragment is not None:
            self.later(self._write, [None, None, fragment], item.source)
        elif isinstance(found, Problem):
            self.later(self.problem, found)
        else:
            result, templates = found
            waiting = [item.doc_id, key, (*apply(result, decision), templates)]
            self.fresh.append(waiting)
            self.later(self._write, waiting, item.source)
            if len(self.fresh) >= self.BATCH:
                self.flush()

    def flush(self) -> None:
        if self.fresh:
            for waiting, fragment in zip(self.fresh, make([w[2] for w in self.fresh])):
                waiting[2] = fragment
                self.store.put(waiting[0], waiting[1], fragment)
            self.fresh = []
            for p in self.store.drain():  # a store that cannot be written
                self.later(self.problem, p)
        queue, self.queue = self.queue, []
        for fn, args in queue:
            fn(*args)

    def _write(self, waiting: list, source: str) -> None:
        """A fragment into the shard's parts, its problems to finalize's `problem`; both name
        `source`, the file the page comes from in this run."""
        counts, templates, problems, tables, wide, document = waiting[2]
        self.dropped.update(dict(templates))
        for p in problems:
            self.problem(p if p.source == source else replace(p, source=source))
        self.summary.update(counts)
        self.writer.add("documents", [document if document.source == source else replace(document, source=source)])
        for name in TABLES:
            if name in tables:
                self.writer.add_encoded(name, tables[name])
        for rel, data in wide:
            self.writer.add_wide_bytes(rel, data)
