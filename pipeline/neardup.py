"""Near-duplicate detection: MinHash signatures of paragraphs (datasketch), and an LSH index over them.

In: the dedup text of a paragraph (NFKC, Simplified, no whitespace or punctuation; see
dedup.dedup_text). Out: a signature (computed per page, in the workers, and cached), and for each
new signature the earlier paragraph it nearly repeats, if any, with the estimated similarity.

Defaults (all options of `NearOptions`): character 5-grams, 128 permutations, Jaccard threshold
0.8, datasketch's LSH band layout tuned for recall (candidates are verified on their
signatures). Paragraphs whose dedup text is shorter than 30 characters use exact matching only:
a few changed characters in a short text are a different statement, not a copy.

Clustering is transitive and deterministic: every signature joins the index, a near duplicate
points at the root (kept paragraph) of the earliest best-matching candidate, so A≈B≈C puts B
and C under A even if C is not close to A itself.

Memory: none per paragraph. The index is an SQLite table on disk (a throwaway file next to the
outputs), about 0.8 KB per long paragraph of disk: its signature (128 × 4 bytes) and one
64-bit key per LSH band. datasketch's in-memory MinHashLSH needs about 4.6 KB of RAM per
paragraph, so a dump of a million pages could not fit; a window of recent paragraphs would
miss copies further apart. Here every earlier paragraph of the run is found.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

# datasketch is not imported on a run's path: importing any part of it imports all of it, with
# scipy (for the band-layout optimiser), about 0.4 s of every run's start. The three things we
# take from it are reproduced here and checked against it by tests/test_neardup.py: the
# permutations of `MinHash(scheme="affine32")`, its input mix, and the layout `MinHashLSH` chooses.


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


@lru_cache(maxsize=4)
def _permutations(num_perm: int, seed: int) -> np.ndarray:
    """`MinHash(num_perm=…, seed=…, scheme="affine32").permutations`: odd multipliers `a` and
    offsets `b`, drawn in datasketch 2.0's order from numpy's legacy seeded generator."""
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return np.array([a, b])


def _fmix32(hv: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finaliser, datasketch's `_fmix(hv, 32)`: affine32 mixes each input
    hash with it once before permuting."""
    hv = hv ^ (hv >> np.uint32(16))
    hv = hv * np.uint32(0x85EBCA6B)
    hv = hv ^ (hv >> np.uint32(13))
    hv = hv * np.uint32(0xC2B2AE35)
    return hv ^ (hv >> np.uint32(16))


def _windows(text: str, n: int) -> np.ndarray:
    """A mixed 64-bit polynomial hash of every character n-gram of `text` (n-grams that would
    straddle a paragraph boundary included; `signatures` skips them)."""
    cp = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    count = max(len(cp) - n + 1, 0)
    h = np.zeros(count, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for k in range(n):
            h = h * np.uint64(0x100000001B3) + cp[k:k + count]
        h ^= h >> np.uint64(30)
        h *= np.uint64(0xBF58476D1CE4E5B9)
        h ^= h >> np.uint64(27)
        h *= np.uint64(0x94D049BB133111EB)
        h ^= h >> np.uint64(31)
    return h


def shingle_hashes(text: str, n: int) -> list[int]:
    """32-bit hashes of the distinct character n-grams of `text`: what `signatures` permutes
    (for one text; the tests hand these to datasketch as the reference).

    datasketch would sha1 every n-gram in Python, which made hashing most of a run's CPU time.
    A polynomial hash of the code points, mixed (splitmix64's finaliser), is as good for
    MinHash and deterministic across processes and machines (Python's hash() is not).
    """
    return np.unique(_windows(text, n) & np.uint64(0xFFFFFFFF)).tolist()


CHUNK = 16384  # n-grams permuted at once: CHUNK x num_perm x 4 bytes (8 MB at 128) of scratch
GROUP_CHARS = 1 << 20  # characters hashed at once (about 8 bytes each per numpy temporary)


def signatures(texts: list[str], opts: NearOptions) -> list[bytes | None]:
    """The MinHash of each text's character n-grams as uint32 bytes (None if too short): the
    values `datasketch.MinHash(scheme="affine32").update_batch(shingle_hashes(text))` holds
    (tests/test_neardup.py checks it), for all of a page's texts in a few numpy passes.

    A MinHash is a minimum, so n-grams repeated within a text need no dedup, and the texts can
    share one array: per text and per call, numpy's and datasketch's overheads were most of
    the cost. Texts are hashed in groups of about GROUP_CHARS and permuted in CHUNKs, so the
    scratch memory of a huge page is bounded (a single huge text costs what it always did).
    """
    out: list[bytes | None] = [None] * len(texts)
    if not opts.enabled:
        return out
    group: list[int] = []
    size = 0
    for i, text in enumerate(texts):
        if len(text) < max(opts.min_chars, opts.ngram):
            continue
        if group and size + len(text) > GROUP_CHARS:
            _sign_group(texts, group, opts, out)
            group, size = [], 0
        group.append(i)
        size += len(text)
    if group:
        _sign_group(texts, group, opts, out)
    return out


def _sign_group(texts: list[str], group: list[int], opts: NearOptions, out: list) -> None:
    n = opts.ngram
    # The texts are joined and hashed at once; each text's n-grams start at its offset, and the
    # n-grams starting in the last n-1 positions of a text (straddling into the next) are skipped.
    lengths = np.array([len(texts[i]) for i in group], dtype=np.int64)
    offsets = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    h = _windows("".join(texts[i] for i in group), n)
    keep = np.ones(len(h), dtype=bool)
    for k in range(1, n):  # texts are at least n long, so these stay inside the previous text
        keep[offsets[1:] - k] = False
    counts = lengths - n + 1
    hv = _fmix32((h[keep] & np.uint64(0xFFFFFFFF)).astype(np.uint32))
    a, b = _permutations(opts.num_perm, opts.seed)
    seg = np.repeat(np.arange(len(group)), counts)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    sigs = np.full((len(group), opts.num_perm), np.iinfo(np.uint32).max, dtype=np.uint32)
    for at in range(0, len(hv), CHUNK):
        part = hv[at:at + CHUNK, None] * a + b  # uint32 wraparound is the scheme's modulo
        segs = np.arange(seg[at], seg[min(at + CHUNK, len(hv)) - 1] + 1)
        bounds = np.maximum(starts[segs] - at, 0)
        sigs[segs] = np.minimum(sigs[segs], np.minimum.reduceat(part, bounds, axis=0))
    for row, i in enumerate(group):
        out[i] = sigs[row].tobytes()


def signature(text: str, opts: NearOptions) -> bytes | None:
    """One text's MinHash (see `signatures`)."""
    return signatures([text], opts)[0]


def band_keys(values: np.ndarray, bands: int, rows: int) -> list[list[int]]:
    """One signed 64-bit key per LSH band of each signature (a row of `values`): the band's
    `rows` values and its number, mixed. All of a page's signatures at once: per call, numpy's
    overhead was most of the cost.

    (datasketch keys bands by their bytes in per-band dicts of sets, about 4.6 KB per paragraph
    in memory; integer keys can live in an SQLite table on disk instead.)
    """
    v = values[:, : bands * rows].astype(np.uint64).reshape(len(values), bands, rows)
    h = np.broadcast_to(np.arange(1, bands + 1, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15),
                        (len(values), bands))
    with np.errstate(over="ignore"):
        for k in range(rows):
            h = (h ^ v[:, :, k]) * np.uint64(0x100000001B3)
            h ^= h >> np.uint64(29)
    return h.view(np.int64).tolist()


# (threshold, num_perm, false positive weight, false negative weight) -> (bands, rows), as
# datasketch's optimiser chooses them; the default options' entry saves importing it (and scipy).
LAYOUTS = {(0.8, 128, 0.1, 0.9): (14, 9)}


@lru_cache(maxsize=4)
def _layout(opts: NearOptions) -> tuple[int, int]:
    """The LSH band layout `MinHashLSH` would choose for these options."""
    key = (opts.threshold, opts.num_perm, *opts.lsh_weights)
    if key in LAYOUTS:
        return LAYOUTS[key]
    from datasketch.lsh import _optimal_param  # other options: ask it (about 0.4 s of imports)

    return _optimal_param(*key)


def lsh_keys(sigs: list[bytes], opts: NearOptions) -> list[list[int]]:
    """The LSH band keys of each signature (computed next to them, in the workers)."""
    if not sigs:
        return []
    values = np.frombuffer(b"".join(sigs), dtype=np.uint32).reshape(len(sigs), -1)
    return band_keys(values, *_layout(opts))


MAX_VARS = 900  # SQLite's bound parameters per statement (999 in old builds)


def select_in(db: sqlite3.Connection, sql: str, values: list) -> list[tuple]:
    """Rows of `sql` with its `IN (?)` expanded over `values`, in chunks SQLite accepts."""
    rows = []
    for at in range(0, len(values), MAX_VARS):
        chunk = values[at:at + MAX_VARS]
        rows += db.execute(sql.replace("IN (?)", f"IN ({','.join('?' * len(chunk))})"), chunk).fetchall()
    return rows


class NearIndex:
    """The LSH index over every long paragraph of the run, kept in SQLite (see module doc).

    `add_many` takes a document's signatures at once (one query, one insert: per-statement
    cost was most of a rerun's dedup time) and returns, in order, what `add` would have for each.
    A match returns the `payload` of the root it joins (by default the root's id, a count of
    signatures added), so the caller can keep any pointer there without a map in memory.
    """

    def __init__(self, opts: NearOptions, db: sqlite3.Connection | None = None):
        self.opts = opts
        self.db = db if db is not None else scratch_db()
        # Each row carries its root's payload, so a match needs no second lookup.
        self.db.execute("CREATE TABLE near (id INTEGER PRIMARY KEY, root INTEGER, root_payload INTEGER, sig BLOB)")
        self.db.execute("CREATE TABLE bands (key INTEGER, id INTEGER, PRIMARY KEY (key, id)) WITHOUT ROWID")
        self.count = 0

    def add(self, sig: bytes, payload: int | None = None, keys: list[int] | None = None
            ) -> tuple[int, int | None, float]:
        """Insert a signature (and its `lsh_keys`, if known); (its id, the payload of the kept
        paragraph it repeats or None, similarity)."""
        return self.add_many([(sig, payload, keys)])[0]

    def add_many(self, items: list[tuple[bytes, int | None, list[int] | None]]
                 ) -> list[tuple[int, int | None, float]]:
        keyed = [(sig, payload, lsh_keys([sig], self.opts)[0] if keys is None else keys)
                 for sig, payload, keys in items]
        known: dict[int, list[tuple]] = {}  # band key -> (id, root, root payload, signature)
        for key, *entry in select_in(self.db, "SELECT b.key, n.id, n.root, n.root_payload, n.sig FROM bands b "
                                     "JOIN near n ON n.id = b.id WHERE b.key IN (?)",
                                     sorted({k for _, _, keys in keyed for k in keys})):
            known.setdefault(key, []).append(tuple(entry))
        out, near_rows, band_rows = [], [], []
        for sig, payload, keys in keyed:
            values = np.frombuffer(sig, dtype=np.uint32)
            cands = sorted({entry for k in keys for entry in known.get(k, ())})  # by id: earliest wins ties
            best, best_sim = None, 0.0
            for entry in cands:
                sim = float(np.mean(np.frombuffer(entry[3], dtype=np.uint32) == values))
                if sim >= self.opts.threshold and sim > best_sim:
                    best, best_sim = entry, sim
            new_id, self.count = self.count, self.count + 1
            payload = new_id if payload is None else payload
            root, root_payload = (new_id, payload) if best is None else (best[1], best[2])
            entry = (new_id, root, root_payload, sig)
            for k in keys:  # later signatures of this batch see this one
                known.setdefault(k, []).append(entry)
            near_rows.append(entry)
            band_rows += [(k, new_id) for k in keys]
            out.append((new_id, None, 0.0) if best is None else (new_id, root_payload, best_sim))
        self.db.executemany("INSERT INTO near VALUES (?, ?, ?, ?)", near_rows)
        self.db.executemany("INSERT OR IGNORE INTO bands VALUES (?, ?)", band_rows)
        return out


def scratch_db(path: Path | str = "") -> sqlite3.Connection:
    """A throwaway SQLite database for run-long state ('' = a private temporary file that SQLite
    deletes on close). Memory is its page cache (32 MB at most); the rest stays on disk."""
    db = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode=OFF", "synchronous=OFF", "locking_mode=EXCLUSIVE",
                   "cache_size=-32768", "temp_store=FILE"):
        db.execute(f"PRAGMA {pragma}")
    db.execute("BEGIN")  # one long transaction: nothing here must survive a crash
    return db
