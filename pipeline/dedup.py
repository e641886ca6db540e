"""Dedup: DocResults in document order in, the same with repeated paragraphs moved out.

The key of a paragraph is its text after NFKC, folded to Simplified, without whitespace and
punctuation (so a Traditional and a Simplified copy, or ASCII vs full-width punctuation, match).
The first occurrence in input order is kept; every later one leaves `paragraphs` and gets a
`duplicates` row pointing at the kept one, so nothing vanishes. Paragraphs whose key is empty
(only punctuation or symbols) are never treated as duplicates.

Memory: one entry per distinct key (a 16-hex-digit string and a pointer), not the texts.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import replace

from .convert import converter


def _keep(ch: str) -> bool:
    # P: punctuation, Z: separators, C: control/format characters (ZWSP, BOM …)
    return unicodedata.category(ch)[0] not in "PZC"


def dedup_text(text: str) -> str:
    """The normalised form the key hashes: NFKC, Simplified, no spaces or punctuation."""
    folded = converter("t2s.json").convert(unicodedata.normalize("NFKC", text))
    return "".join(ch for ch in folded if _keep(ch)).lower()


def dedup_key(text: str) -> str:
    norm = dedup_text(text)
    return hashlib.sha1(norm.encode("utf-8")).hexdigest()[:16] if norm else ""


class ExactDedup:
    """Stateful across documents: feed DocResults in order; each comes back filtered."""

    def __init__(self) -> None:
        self.seen: dict[str, tuple[str, int]] = {}

    def __call__(self, result):
        kept, dups = [], []
        for row in result.paragraphs:
            key = row["norm_hash"]
            first = self.seen.get(key) if key else None
            if first is None:
                if key:
                    self.seen[key] = (row["doc_id"], row["para_index"])
                kept.append(row)
                continue
            dups.append({
                "doc_id": row["doc_id"], "para_index": row["para_index"],
                "section": row["section"], "text_original": row["text_original"],
                "dup_of_doc_id": first[0], "dup_of_para_index": first[1],
                "method": "exact", "similarity": 1.0,
            })
        document = dict(result.document, n_paragraphs=len(kept), n_duplicates=len(dups))
        return replace(result, paragraphs=kept, document=document), dups


def dedup(results: Iterable) -> Iterator:
    """(DocResult with kept paragraphs, duplicate rows) for each DocResult, in order."""
    step = ExactDedup()
    for result in results:
        yield step(result)
