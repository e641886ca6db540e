"""Dedup: DocResults in document order in, the same with repeated paragraphs moved out.

Exact repeats, then near repeats (MinHash + LSH, neardup.py). The key of a paragraph is its text after NFKC, folded to Simplified, without whitespace and
punctuation (so a Traditional and a Simplified copy, or ASCII vs full-width punctuation, match).
The first occurrence in input order is kept; every later one leaves `paragraphs` and gets a
`duplicates` row pointing at the kept one, so nothing vanishes. Paragraphs whose key is empty
(only punctuation or symbols) are never treated as duplicates.

Memory: flat. What must be remembered for the whole run (one 64-bit key and a pointer per
distinct paragraph, the document ids, the near-duplicate index) lives in one throwaway SQLite
file (`scratch`, next to the outputs; by default a temporary file), never the texts. Only
SQLite's bounded page cache is in memory.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

from .convert import converter
from .neardup import NearIndex, NearOptions, scratch_db, select_in


class _Dropped(dict):
    """A `str.translate` table that deletes punctuation (P), separators (Z) and control or
    format characters (C: ZWSP, BOM …), filled in as characters are first seen."""

    def __missing__(self, code: int) -> int | None:
        self[code] = None if unicodedata.category(chr(code))[0] in "PZC" else code
        return self[code]


_DROPPED = _Dropped()


def dedup_text(text: str) -> str:
    """The normalised form the key hashes: NFKC, Simplified, no spaces or punctuation."""
    folded = converter("t2s.json").convert(unicodedata.normalize("NFKC", text))
    return folded.translate(_DROPPED).lower()


def hash_key(norm: str) -> str:
    """The key of an already normalised text ('' for an empty one: never a duplicate)."""
    return hashlib.sha1(norm.encode("utf-8")).hexdigest()[:16] if norm else ""


def dedup_key(text: str) -> str:
    return hash_key(dedup_text(text))


class Dedup:
    """Stateful across documents: feed DocResults in order; each comes back filtered.

    Exact keys first; a paragraph that is not an exact repeat but carries a MinHash signature
    (`_minhash`, see neardup.py) is then checked against the near-duplicate index.
    A kept paragraph is remembered as one int (document number << 24 | para_index).
    """

    def __init__(self, near: NearOptions = NearOptions(), scratch: Path | str = "") -> None:
        self.db = scratch_db(scratch)
        self.db.execute("CREATE TABLE exact (key INTEGER PRIMARY KEY, ptr INTEGER)")
        self.db.execute("CREATE TABLE docs (no INTEGER PRIMARY KEY, doc_id TEXT)")
        self.docs = 0
        self.near = NearIndex(near, self.db) if near.enabled else None

    def _pointers(self, packed: set[int]) -> dict[int, tuple[str, int]]:
        docs = dict(select_in(self.db, "SELECT no, doc_id FROM docs WHERE no IN (?)", sorted({p >> 24 for p in packed})))
        return {p: (docs[p >> 24], p & 0xFFFFFF) for p in packed}

    def __call__(self, result):
        """One document: each statement covers the whole document (per-paragraph queries were
        most of a rerun's dedup time); the paragraphs are still decided in order."""
        doc_no, self.docs = self.docs, self.docs + 1
        self.db.execute("INSERT INTO docs VALUES (?, ?)", (doc_no, result.doc_id))
        rows = [dict(row) for row in result.paragraphs]
        extra = [(row.pop("_minhash", None), row.pop("_bands", None)) for row in rows]
        # SQLite integers are signed 64-bit
        keys = [int.from_bytes(bytes.fromhex(r["norm_hash"]), "big", signed=True) if r["norm_hash"] else None
                for r in rows]
        seen = dict(select_in(self.db, "SELECT key, ptr FROM exact WHERE key IN (?)",
                              sorted({k for k in keys if k is not None})))
        # An exact repeat (of an earlier document or paragraph) never reaches the near index, so
        # which paragraphs do is known before any is decided.
        near_todo, in_doc = [], set(seen)
        for n, (row, key, (sig, bands)) in enumerate(zip(rows, keys, extra)):
            if key is not None and key in in_doc:
                continue
            if key is not None:
                in_doc.add(key)
            if sig is not None and self.near is not None:
                near_todo.append((n, (sig, doc_no << 24 | row["para_index"], bands)))
        near = dict(zip((n for n, _ in near_todo), self.near.add_many([item for _, item in near_todo])
                        if near_todo else []))
        kept, found, new_keys = [], [], []
        for n, (row, key) in enumerate(zip(rows, keys)):
            here = doc_no << 24 | row["para_index"]
            first = seen.get(key) if key is not None else None
            method, similarity = "exact", 1.0
            if first is None and n in near:
                _, first, similarity = near[n]
                method = "near"
            if key is not None and key not in seen:  # a later identical copy is an exact repeat of the same
                seen[key] = here if first is None else first
                new_keys.append((key, seen[key]))
            if first is None:
                kept.append(row)
            else:
                found.append((row, first, method, similarity))
        self.db.executemany("INSERT INTO exact VALUES (?, ?)", new_keys)
        pointers = self._pointers({first for _, first, _, _ in found})
        dups = [{
            "doc_id": row["doc_id"], "para_index": row["para_index"],
            "section": row["section"], "text_original": row["text_original"],
            "dup_of_doc_id": pointers[first][0], "dup_of_para_index": pointers[first][1],
            "method": method, "similarity": round(similarity, 4),
        } for row, first, method, similarity in found]
        document = dict(result.document, n_paragraphs=len(kept), n_duplicates=len(dups))
        return replace(result, paragraphs=kept, document=document), dups

    def close(self) -> None:
        self.db.close()


def dedup(results: Iterable, near: NearOptions = NearOptions(), scratch: Path | str = "") -> Iterator:
    """(DocResult with kept paragraphs, duplicate rows) for each DocResult, in order."""
    step = Dedup(near, scratch)
    try:
        for result in results:
            yield step(result)
    finally:
        step.close()
