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
from .neardup import NearIndex, NearOptions, scratch_db


@lru_cache(maxsize=None)
def _keep(ch: str) -> bool:
    # P: punctuation, Z: separators, C: control/format characters (ZWSP, BOM …)
    return unicodedata.category(ch)[0] not in "PZC"


def dedup_text(text: str) -> str:
    """The normalised form the key hashes: NFKC, Simplified, no spaces or punctuation."""
    folded = converter("t2s.json").convert(unicodedata.normalize("NFKC", text))
    return "".join(filter(_keep, folded)).lower()


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

    def _pointer(self, packed: int) -> tuple[str, int]:
        (doc_id,) = self.db.execute("SELECT doc_id FROM docs WHERE no = ?", (packed >> 24,)).fetchone()
        return doc_id, packed & 0xFFFFFF

    def _first(self, key: int) -> int | None:
        row = self.db.execute("SELECT ptr FROM exact WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    def __call__(self, result):
        kept, dups = [], []
        doc_no, self.docs = self.docs, self.docs + 1
        self.db.execute("INSERT INTO docs VALUES (?, ?)", (doc_no, result.doc_id))
        for row in result.paragraphs:
            row = dict(row)
            # SQLite integers are signed 64-bit
            key = int.from_bytes(bytes.fromhex(row["norm_hash"]), "big", signed=True) if row["norm_hash"] else None
            sig, keys = row.pop("_minhash", None), row.pop("_bands", None)
            here = doc_no << 24 | row["para_index"]
            first = self._first(key) if key is not None else None
            method, similarity = "exact", 1.0
            if first is None and sig is not None and self.near is not None:
                _, first, similarity = self.near.add(sig, payload=here, keys=keys)
                method = "near"
            if first is None:
                if key is not None:
                    self.db.execute("INSERT INTO exact VALUES (?, ?)", (key, here))
                kept.append(row)
                continue
            if key is not None:  # a later identical copy is an exact duplicate of the same one
                self.db.execute("INSERT OR IGNORE INTO exact VALUES (?, ?)", (key, first))
            first = self._pointer(first)
            dups.append({
                "doc_id": row["doc_id"], "para_index": row["para_index"],
                "section": row["section"], "text_original": row["text_original"],
                "dup_of_doc_id": first[0], "dup_of_para_index": first[1],
                "method": method, "similarity": round(similarity, 4),
            })
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
