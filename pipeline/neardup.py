"""Near-duplicate detection: MinHash signatures of paragraphs, and an LSH index over them (datasketch).

In: the dedup text of a paragraph (NFKC, Simplified, no whitespace or punctuation; see
dedup.dedup_text). Out: a signature (computed per page, in the workers, and cached), and for each
new signature the earlier paragraph it nearly repeats, if any, with the estimated similarity.

Defaults (all options of `NearOptions`): character 5-grams, 128 permutations, Jaccard threshold
0.8, an LSH band layout tuned for recall (candidates are verified on their signatures). Paragraphs whose dedup text is shorter than 30 characters use exact matching only: a few
changed characters in a short text are a different statement, not a copy.

Clustering is transitive and deterministic: every signature joins the index, a near duplicate
points at the root (kept paragraph) of the earliest best-matching candidate, so A≈B≈C puts B
and C under A even if C is not close to A itself.

Memory: per long paragraph, its signature (128 × 4 bytes) plus the LSH band keys, about 4.8 KB
with datasketch's storage, for the most recent `window` long paragraphs only; see README.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from datasketch import LeanMinHash, MinHash, MinHashLSH


SCHEME = "affine32"  # datasketch 2's default; named so signatures round-trip through the cache


@dataclass(frozen=True)
class NearOptions:
    enabled: bool = True
    ngram: int = 5
    num_perm: int = 128
    threshold: float = 0.8
    min_chars: int = 30
    seed: int = 1
    # LSH band layout favours recall (false negatives weigh 0.9): candidates are verified against
    # the signatures anyway, so a false positive costs a comparison, a false negative a miss.
    # At threshold 0.8 this gives 14 bands of 9 rows: a pair at Jaccard 0.85 is found 97.5% of
    # the time (datasketch's balanced default: 69%).
    lsh_weights: tuple[float, float] = (0.1, 0.9)
    # Long paragraphs the index remembers (FIFO): bounds its memory (~4.8 KB each, so about
    # 0.25 GB at the default, reached after roughly 35 MB of wikitext) whatever the dump's size.
    # Near copies further apart than this many long paragraphs are not found; exact copies are
    # found at any distance.
    window: int = 50_000


@lru_cache(maxsize=4)
def _permutations(num_perm: int, seed: int):
    """Drawn once: building them is most of what a fresh MinHash costs."""
    return MinHash(num_perm=num_perm, seed=seed, scheme=SCHEME).permutations


def _identity(value: int) -> int:
    return value


def shingle_hashes(text: str, n: int) -> list[int]:
    """32-bit hashes of the distinct character n-grams of `text`, computed with numpy.

    datasketch would sha1 every n-gram in Python, which made hashing most of a run's CPU time.
    A polynomial hash of the code points, mixed (splitmix64's finaliser), is as good for
    MinHash and deterministic across processes and machines (Python's hash() is not).
    """
    cp = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    count = len(cp) - n + 1
    h = np.zeros(count, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for k in range(n):
            h = h * np.uint64(0x100000001B3) + cp[k:k + count]
        h ^= h >> np.uint64(30)
        h *= np.uint64(0xBF58476D1CE4E5B9)
        h ^= h >> np.uint64(27)
        h *= np.uint64(0x94D049BB133111EB)
        h ^= h >> np.uint64(31)
    return np.unique(h & np.uint64(0xFFFFFFFF)).tolist()


def signature(text: str, opts: NearOptions) -> bytes | None:
    """The MinHash of `text`'s character n-grams as uint32 bytes, or None if too short."""
    if not opts.enabled or len(text) < opts.min_chars:
        return None
    m = MinHash(num_perm=opts.num_perm, seed=opts.seed, scheme=SCHEME, hashfunc=_identity,
                permutations=_permutations(opts.num_perm, opts.seed))
    m.update_batch(shingle_hashes(text, opts.ngram))
    return m.hashvalues.astype(np.uint32).tobytes()  # affine32 values are 32-bit


class NearIndex:
    """The LSH index over the most recent `opts.window` long paragraphs (FIFO), so its memory is
    bounded whatever the size of the dump; ids count every paragraph ever added."""

    def __init__(self, opts: NearOptions):
        self.opts = opts
        self.lsh = MinHashLSH(threshold=opts.threshold, num_perm=opts.num_perm, weights=opts.lsh_weights)
        self.signatures: dict[int, np.ndarray] = {}  # the live window, by id
        self.roots: dict[int, int] = {}  # id -> id of the kept paragraph it belongs to
        self.order: deque[int] = deque()
        self.count = 0

    def add(self, sig: bytes) -> tuple[int, int | None, float]:
        """Insert a signature; (its id, the id of the kept paragraph it repeats or None, similarity)."""
        values = np.frombuffer(sig, dtype=np.uint32)
        minhash = LeanMinHash(seed=self.opts.seed, hashvalues=values, scheme=SCHEME)
        best, best_sim = None, 0.0
        for cand in sorted(self.lsh.query(minhash)):
            sim = float(np.mean(self.signatures[cand] == values))
            if sim >= self.opts.threshold and sim > best_sim:
                best, best_sim = cand, sim
        new_id, self.count = self.count, self.count + 1
        root = new_id if best is None else self.roots[best]
        self.signatures[new_id], self.roots[new_id] = values, root
        self.lsh.insert(new_id, minhash)
        self.order.append(new_id)
        if len(self.order) > self.opts.window:
            old = self.order.popleft()
            self.lsh.remove(old)
            del self.signatures[old], self.roots[old]
        return new_id, None if best is None else root, best_sim
