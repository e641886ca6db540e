"""Dedup: DocResults in document order in, the same with repeated paragraphs moved out.

Exact repeats, then near repeats (MinHash + LSH, neardup.py). The key of a paragraph is its text after NFKC, folded to Simplified, without whitespace and
punctuation (so a Traditional and a Simplified copy, or ASCII vs full-width punctuation, match).
The first occurrence in input order is kept; every later one leaves `paragraphs` and gets a
`duplicates` row pointing at the kept one, so nothing vanishes. Paragraphs whose key is empty
(only punctuation or symbols) are never treated as duplicates.

Memory: one small entry per distinct paragraph (about 100 bytes: a 64-bit key and a packed
pointer), and the near-duplicate index's bounded window (neardup.py); never the texts.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import replace
from functools import lru_cache

from .convert import converter
from .neardup import NearIndex, NearOptions


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
    """

    def __init__(self, near: NearOptions = NearOptions()) -> None:
        # One entry per distinct paragraph for the whole run, so kept small: the 64-bit key as
        # an int, the kept paragraph as one int (document number << 24 | para_index).
        self.seen: dict[int, int] = {}
        self.doc_ids: list[str] = []
        self.near = NearIndex(near) if near.enabled else None
        self.near_roots: dict[int, int] = {}  # index id of a kept paragraph -> packed pointer

    def _pointer(self, packed: int) -> tuple[str, int]:
        return self.doc_ids[packed >> 24], packed & 0xFFFFFF

    def __call__(self, result):
        kept, dups = [], []
        doc_no = len(self.doc_ids)
        self.doc_ids.append(result.doc_id)
        for row in result.paragraphs:
            row = dict(row)
            key = int(row["norm_hash"], 16) if row["norm_hash"] else None
            sig = row.pop("_minhash", None)
            here = doc_no << 24 | row["para_index"]
            first = self.seen.get(key) if key is not None else None
            method, similarity = "exact", 1.0
            if first is None and sig is not None and self.near is not None:
                sig_id, root, similarity = self.near.add(sig)
                if root is None:
                    self.near_roots[sig_id] = here
                else:
                    first, method = self.near_roots[root], "near"
                self._forget_old_roots()
            if first is None:
                if key is not None:
                    self.seen[key] = here
                kept.append(row)
                continue
            if key is not None:  # a later identical copy is an exact duplicate of the same one
                self.seen.setdefault(key, first)
            first = self._pointer(first)
            dups.append({
                "doc_id": row["doc_id"], "para_index": row["para_index"],
                "section": row["section"], "text_original": row["text_original"],
                "dup_of_doc_id": first[0], "dup_of_para_index": first[1],
                "method": method, "similarity": round(similarity, 4),
            })
        document = dict(result.document, n_paragraphs=len(kept), n_duplicates=len(dups))
        return replace(result, paragraphs=kept, document=document), dups

    def _forget_old_roots(self) -> None:
        """Pointers of kept paragraphs no paragraph in the near index's window belongs to any
        more can go: nothing can match them again. Done every half window, so it stays cheap."""
        index = self.near
        if index.count % max(1, index.opts.window // 2) == 0 and len(self.near_roots) > index.opts.window:
            live = set(index.roots.values())
            self.near_roots = {k: v for k, v in self.near_roots.items() if k in live}


def dedup(results: Iterable, near: NearOptions = NearOptions()) -> Iterator:
    """(DocResult with kept paragraphs, duplicate rows) for each DocResult, in order."""
    step = Dedup(near)
    for result in results:
        yield step(result)
