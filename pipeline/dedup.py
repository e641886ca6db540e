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
from .neardup import NearIndex, NearOptions, index_signatures, lsh_keys, scratch_db, select_in
from .rows import DuplicateRow, ParagraphRow, evolve


class _Dropped(dict):
    """A `str.translate` table that deletes punctuation (P), separators (Z) and control or
    format characters (C: ZWSP, BOM …), filled in as characters are first seen."""

    def __missing__(self, code: int) -> int | None:
        self[code] = None if unicodedata.category(chr(code))[0] in "PZC" else code
        return self[code]


_DROPPED = _Dropped()


class _Compatible(dict):
    """A `str.translate` table from each character to its own NFKC form (full-width `，` to `,`,
    `Ａ` to `A`), filled in as characters are first seen."""

    def __missing__(self, code: int) -> str:
        self[code] = unicodedata.normalize("NFKC", chr(code))
        return self[code]


_COMPATIBLE = _Compatible()


def nfkc(text: str) -> str:
    """`unicodedata.normalize("NFKC", text)`, mostly by one `str.translate`, which is about
    twice as fast on Chinese text (its full-width punctuation is not NFKC). Exact: each
    character replaced by its own NFKC form leaves the text's NFKC unchanged, so when the
    result is already normalised it is the text's NFKC; otherwise (combining marks that
    compose across characters, Hangul jamo) the text is normalised as a whole."""
    mapped = text.translate(_COMPATIBLE)
    return mapped if unicodedata.is_normalized("NFKC", mapped) else unicodedata.normalize("NFKC", text)


def dedup_text(text: str) -> str:
    """The normalised form the key hashes: NFKC, Simplified, no spaces or punctuation."""
    folded = converter("t2s.json").convert(nfkc(text))
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

    def decide(self, doc_id: str, paras: list[tuple]) -> dict[int, tuple[str, int, str, float]]:
        """One document's paragraphs as (para_index, norm_hash, signature, band keys), in order:
        {para_index: (kept doc_id, kept para_index, method, similarity)} for its duplicates.

        Keys only, never texts: this is the global pass, fed by every shard's key table in
        input order. Each statement covers the whole document (per-paragraph queries were most
        of a rerun's dedup time); the paragraphs are still decided in order."""
        doc_no, self.docs = self.docs, self.docs + 1
        self.db.execute("INSERT INTO docs VALUES (?, ?)", (doc_no, doc_id))
        # SQLite integers are signed 64-bit
        keys = [int.from_bytes(bytes.fromhex(h), "big", signed=True) if h else None for _, h, _, _ in paras]
        seen = dict(select_in(self.db, "SELECT key, ptr FROM exact WHERE key IN (?)",
                              sorted({k for k in keys if k is not None})))
        # An exact repeat (of an earlier document or paragraph) never reaches the near index, so
        # which paragraphs do is known before any is decided.
        near_todo, in_doc = [], set(seen)
        for n, ((index, _, sig, bands), key) in enumerate(zip(paras, keys)):
            if key is not None and key in in_doc:
                continue
            if key is not None:
                in_doc.add(key)
            if sig is not None and self.near is not None:
                near_todo.append((n, (sig, doc_no << 24 | index, bands)))
        near = dict(zip((n for n, _ in near_todo), self.near.add_many([item for _, item in near_todo])
                        if near_todo else []))
        found, new_keys = {}, []
        for n, ((index, _, _, _), key) in enumerate(zip(paras, keys)):
            here = doc_no << 24 | index
            first = seen.get(key) if key is not None else None
            method, similarity = "exact", 1.0
            if first is None and n in near:
                _, first, similarity = near[n]
                method = "near"
            if key is not None and key not in seen:  # a later identical copy is an exact repeat of the same
                seen[key] = here if first is None else first
                new_keys.append((key, seen[key]))
            if first is not None:
                found[index] = (first, method, similarity)
        self.db.executemany("INSERT INTO exact VALUES (?, ?)", new_keys)
        pointers = self._pointers({first for first, _, _ in found.values()})
        return {index: (*pointers[first], method, round(similarity, 4))
                for index, (first, method, similarity) in found.items()}

    def __call__(self, result, keys: list[tuple] | None = None):
        """One DocResult (and its `page_keys`; without them, exact keys only) in, (the same with
        its duplicates moved out, duplicate rows) out."""
        return apply(result, self.decide(result.doc_id, keys_of(result.paragraphs) if keys is None else keys))

    def close(self) -> None:
        self.db.close()


def page_keys(paragraphs: list[ParagraphRow],
              near: NearOptions = NearOptions()) -> tuple[list[ParagraphRow], list[tuple]]:
    """The per-page half of dedup, run with the page chain (in the workers, cached with the
    page): the rows with their `norm_hash` (an output column) set, and what the global pass
    needs, per paragraph (para_index, norm_hash, MinHash signature or None, LSH band keys or
    None), so the one global pass hashes nothing."""
    norms = [dedup_text(row.text_original) for row in paragraphs]
    paragraphs = [evolve(row, norm_hash=hash_key(norm)) for row, norm in zip(paragraphs, norms)]
    sigs = index_signatures(norms, near)
    long = [i for i, sig in enumerate(sigs) if sig is not None]
    bands = dict(zip(long, lsh_keys([sigs[i] for i in long], near)))
    return paragraphs, [(row.para_index, row.norm_hash, sigs[i], bands.get(i)) for i, row in enumerate(paragraphs)]


def keys_of(paragraphs: list[ParagraphRow]) -> list[tuple]:
    """Exact keys only, from rows that carry their norm_hash (the sequential `dedup` below)."""
    return [(r.para_index, r.norm_hash, None, None) for r in paragraphs]


def apply(result, found: dict[int, tuple[str, int, str, float]]):
    """A DocResult with the pass's decisions applied: (kept paragraphs, duplicate rows)."""
    kept, dups = [], []
    for row in result.paragraphs:
        decision = found.get(row.para_index)
        if decision is None:
            kept.append(row)
            continue
        doc_id, para_index, method, similarity = decision
        dups.append(DuplicateRow(
            doc_id=row.doc_id, para_index=row.para_index,
            section=row.section, text_original=row.text_original,
            dup_of_doc_id=doc_id, dup_of_para_index=para_index,
            method=method, similarity=similarity,
        ))
    document = replace(result.document, n_paragraphs=len(kept), n_duplicates=len(dups))
    return replace(result, paragraphs=kept, document=document), dups


def dedup(results: Iterable, near: NearOptions = NearOptions(), scratch: Path | str = "") -> Iterator:
    """(DocResult with kept paragraphs, duplicate rows) for each DocResult, in order."""
    step = Dedup(near, scratch)
    try:
        for result in results:
            yield step(result)
    finally:
        step.close()
