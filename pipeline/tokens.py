"""Tokens and keywords: paragraph text in, jieba tokens and per-document keywords out.

- `tokens` segments the target-variant `text` (jieba's dictionary is Simplified; it segments
  Traditional text badly). `tokens_original` are the same boundaries mapped back onto
  `text_original`, so they slice it exactly; when the two texts do not align character for
  character (a -{…}- branch or an OpenCC phrase of another length) it is null rather than wrong.
- Entity names seen on the page (title, link anchors, member names) are kept whole: their
  occurrences are cut out before jieba sees the rest, so 太平洋联盟 or DragonFly BSD is one
  token. This is per page and leaves jieba's global dictionary alone, so results do not depend
  on which pages a worker saw before.
- A run of letters with a non-ASCII one (Español, Yínzhōu, Köln, Москва, Αθήνα) is one token.
  jieba's word characters are ASCII only, so it cut such words at every accent (Espa|ñ|ol). The
  run is letters, combining marks and digits, like jieba's Windows98; hyphens and apostrophes
  split it as they split ASCII words (Coca|-|Cola). Text without such letters is cut by jieba
  unchanged. Scripts written without spaces (kana, Thai, ...) are left to jieba, char by char.
- Whitespace-only tokens are dropped.
- Keywords: jieba's TF-IDF (its own IDF table and stop words, its rule of ignoring one-character
  words) applied to the tokens above instead of re-segmenting the page: top KEYWORDS per document.
  Tokens without a letter (numbers such as 1995 or 65.000, punctuation such as ...) are not
  keywords, though jieba's extract_tags returns them; they still count in the term frequencies.
"""

from __future__ import annotations

import heapq
import logging
import marshal
import os
import re
import sys
import tempfile
import unicodedata
from collections import Counter
from functools import lru_cache
from math import log
from pathlib import Path

# jieba 0.42.1 imports pkg_resources (setuptools) only to open its own data files and opens
# them by path without it (as on any Python whose environment has no setuptools): the import
# cost 0.09 s of every process's start-up and warns that pkg_resources is deprecated.
_BLOCKED = "pkg_resources" not in sys.modules
if _BLOCKED:
    sys.modules["pkg_resources"] = None  # makes `import pkg_resources` an ImportError
try:
    import jieba
    from jieba import finalseg
finally:
    if _BLOCKED and sys.modules.get("pkg_resources", False) is None:
        del sys.modules["pkg_resources"]

KEYWORDS = 20
MAX_ENTITY = 40
_SENTENCE = re.compile(r"[。！？；，,;!?\n]")

jieba.setLogLevel(logging.WARNING)


def initialise() -> None:
    """Load jieba's dictionary and IDF table now rather than inside the first page's time limit
    (pages.process_page calls it before starting the timer; a no-op once loaded). Worker
    processes load them at their first page, each its own, in parallel."""
    _load_dictionary()
    _tfidf()


def dictionary_cache() -> Path:
    """Where `make setup` leaves jieba's dictionary cache: in the environment the pipeline is
    installed in, so a run writes nothing outside --out (jieba itself writes its cache to the
    temporary folder, /tmp/jieba.cache, when it has none)."""
    return Path(sys.prefix) / "share" / "pipeline" / "jieba.cache"


def write_dictionary_cache() -> Path:
    """Build jieba's prefix dictionary and save it at `dictionary_cache()` (run by make setup)."""
    return _save(dictionary_cache(), jieba.dt.gen_pfdict(jieba.dt.get_dict_file()))


def _save(path: Path, value) -> Path:
    """`value` marshalled at `path`, written aside and renamed into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_bytes(marshal.dumps(value))
    os.replace(tmp, path)
    return path


def _load_dictionary() -> None:
    """`jieba.initialize()` for the default dictionary, without ever writing a file.

    The prefix dictionary comes from `dictionary_cache()`, else from jieba's own cache in the
    temporary folder if an earlier jieba left one (read, never written), else it is built in
    memory (about 1.5 s more). Either cache is read in one piece: jieba unmarshals straight from
    the file, object by object, about twice the CPU (0.4 s of every run). Only if it is newer
    than jieba's dictionary file, as jieba checks. A custom dictionary or cache file is left to
    jieba itself."""
    dt = jieba.dt
    if dt.initialized:
        return
    if dt.dictionary is not jieba.DEFAULT_DICT or dt.cache_file:
        jieba.initialize()
        return
    built = (Path(jieba.__file__).parent / jieba.DEFAULT_DICT_NAME).stat().st_mtime
    for cache in (dictionary_cache(), Path(dt.tmp_dir or tempfile.gettempdir()) / "jieba.cache"):
        try:
            if cache.stat().st_mtime > built:
                with dt.lock:
                    dt.FREQ, dt.total = marshal.loads(cache.read_bytes())
                    dt.initialized = True
                return
        except Exception:  # missing or damaged: as jieba does, the next source
            pass
    with dt.lock:
        dt.FREQ, dt.total = dt.gen_pfdict(dt.get_dict_file())
        dt.initialized = True


class Entities:
    """A page's entity names, found in a text leftmost-longest, without overlaps.

    (The same matches as a regex alternation of the names, longest first; compiling such a
    regex for every page cost more than the plain substring searches.)
    """

    def __init__(self, names):
        self.names = sorted({n.strip() for n in names if n and 2 <= len(n.strip()) <= MAX_ENTITY
                             and not _SENTENCE.search(n)}, key=lambda n: (-len(n), n))
        self.by_first: dict[str, list[str]] = {}  # only names whose first character occurs are searched
        for name in self.names:
            self.by_first.setdefault(name[0], []).append(name)

    def spans(self, text: str) -> list[tuple[int, int]]:
        hits = []
        for first in self.by_first.keys() & set(text):
            for name in self.by_first[first]:
                at = text.find(name)
                while at >= 0:
                    hits.append((at, -len(name)))
                    at = text.find(name, at + 1)
        hits.sort()
        out, end = [], 0
        for start, neg_len in hits:
            if start >= end:
                end = start - neg_len
                out.append((start, end))
        return out


# jieba.cut's own split of a text into runs it segments (Han, letters, digits) and the rest.
_RUN, _SKIP = jieba.re_han_default, jieba.re_skip_default


class _Scores:
    """log(frequency) - log(total) of each dictionary word jieba's `calc` has met, None for the
    prefixes it lists with frequency 0: jieba takes that log again for every candidate word of
    every position; computing all 500,000 up front would cost 0.3 s of every process."""

    def __init__(self):
        self.freq: dict[str, int] | None = None
        self.total = 0

    def current(self) -> dict[str, float | None]:
        dt = jieba.dt
        if not dt.initialized:  # a worker's first page
            _load_dictionary()
        if self.freq is not dt.FREQ or self.total != dt.total:  # a new dictionary: start again
            self.freq, self.total = dt.FREQ, dt.total
            self.logtotal = log(dt.total)
            self.scores: dict[str, float | None] = {}
        return self.scores


_SCORES = _Scores()
_UNSEEN = object()


@lru_cache(maxsize=65536)
def _cut_run(run: str) -> tuple[str, ...]:
    """`tuple(jieba.dt._Tokenizer__cut_DAG(run))`, what jieba.cut does with each run (accurate
    mode, HMM), in fewer Python operations: jieba 0.42.1's get_DAG, calc and the walk over its
    route in one pass, with jieba's float operations in jieba's order, so the same word wins
    every comparison and tie (tests/test_tokens.py checks it against jieba). Unknown stretches
    still go to jieba's own HMM (finalseg.cut)."""
    scores = _SCORES.current()
    freq, logtotal = _SCORES.freq, _SCORES.logtotal
    alone = 0.0 - logtotal  # calc's score of a character that starts no word: log(1) - logtotal
    n = len(run)
    best = [0.0] * (n + 1)  # calc's route: best[k] the score of run[k:], end[k] its first word's end
    end = [0] * (n + 1)
    for k in range(n - 1, -1, -1):
        top, stop = None, k + 1
        for j in range(k + 1, n + 1):  # get_DAG: the words starting at k, shortest first
            frag = run[k:j]
            score = scores.get(frag, _UNSEEN)
            if score is _UNSEEN:
                f = freq.get(frag)
                if f is None:  # not even a prefix of a word: no longer word starts here
                    break
                score = scores[frag] = log(f) - logtotal if f else None
            if score is not None:
                value = score + best[j]
                if top is None or value >= top:  # max((value, x)): a tie goes to the longer word
                    top, stop = value, j
        if top is None:
            top = alone + best[k + 1]
        best[k], end[k] = top, stop
    out: list[str] = []
    buf = ""
    x = 0
    while x < n:
        y = end[x]
        if y - x == 1:
            buf += run[x]
        else:
            if buf:
                _flush(buf, out, freq)
                buf = ""
            out.append(run[x:y])
        x = y
    if buf:
        _flush(buf, out, freq)
    return tuple(out)


def _flush(buf: str, out: list[str], freq: dict[str, int]) -> None:
    """__cut_DAG's single characters in a row: jieba's HMM finds words in them unless they
    are one character or a dictionary word."""
    if len(buf) == 1:
        out.append(buf)
    elif not freq.get(buf):
        out.extend(_hmm(buf))
    else:
        out.extend(buf)


@lru_cache(maxsize=65536)
def _hmm(buf: str) -> tuple[str, ...]:
    """jieba's HMM on a stretch of unknown characters (`finalseg.cut`), once per stretch: the
    same names and words jieba does not know recur across runs (它的, 这是, names)."""
    out: list[str] = []
    han, skip, force = finalseg.re_han, finalseg.re_skip, finalseg.Force_Split_Words
    for block in han.split(buf):
        if han.match(block):
            for word in _viterbi_words(block):
                if word not in force:
                    out.append(word)
                else:
                    out.extend(word)
        else:
            out.extend(x for x in skip.split(block) if x)
    return tuple(out)


def _viterbi_words(run: str) -> list[str]:
    """`list(finalseg.__cut(run))` for a run of Han characters: jieba 0.42.1's `viterbi` over
    the states B M E S with its float additions in its order, `max` over (score, state)
    written out (a tie goes to the greater state letter, as comparing the tuples does), and
    the path kept as back-pointers instead of a list copied per character and state; then
    __cut's words from the path. About three times quicker; tests/test_tokens.py checks it
    against finalseg on the corpus and on generated text."""
    start, trans, emit, low = finalseg.start_P, finalseg.trans_P, finalseg.emit_P, finalseg.MIN_FLOAT
    eB, eM, eE, eS = emit["B"].get, emit["M"].get, emit["E"].get, emit["S"].get
    tEB, tSB = trans["E"].get("B", low), trans["S"].get("B", low)  # into B from E, S
    tMM, tBM = trans["M"].get("M", low), trans["B"].get("M", low)  # into M from M, B
    tSS, tES = trans["S"].get("S", low), trans["E"].get("S", low)  # into S from S, E
    tBE, tME = trans["B"].get("E", low), trans["M"].get("E", low)  # into E from B, M
    c = run[0]
    vB, vM = start["B"] + eB(c, low), start["M"] + eM(c, low)
    vE, vS = start["E"] + eE(c, low), start["S"] + eS(c, low)
    back = []  # per position after the first: the state before B, M, E, S
    for c in run[1:]:
        em = eB(c, low)
        a, b = vE + tEB + em, vS + tSB + em
        nB, fromB = (a, "E") if a > b else (b, "S")
        em = eM(c, low)
        a, b = vM + tMM + em, vB + tBM + em
        nM, fromM = (b, "B") if b > a else (a, "M")
        em = eS(c, low)
        a, b = vS + tSS + em, vE + tES + em
        nS, fromS = (b, "E") if b > a else (a, "S")
        em = eE(c, low)
        a, b = vB + tBE + em, vM + tME + em
        nE, fromE = (a, "B") if a > b else (b, "M")
        vB, vM, vE, vS = nB, nM, nE, nS
        back.append({"B": fromB, "M": fromM, "E": fromE, "S": fromS})
    state = "E" if vE > vS else "S"
    states = [state]
    for step in reversed(back):
        state = step[state]
        states.append(state)
    states.reverse()
    words, begin, after = [], 0, 0
    for i, pos in enumerate(states):
        if pos == "B":
            begin = i
        elif pos == "E":
            words.append(run[begin:i + 1])
            after = i + 1
        elif pos == "S":
            words.append(run[i])
            after = i + 1
    if after < len(run):
        words.append(run[after:])
    return words


def _jieba(span: str) -> list[str]:
    """Exactly `list(jieba.cut(span))` (accurate mode with HMM; tests/test_tokens.py checks it on
    the corpus), but each run between punctuation is segmented once per process: clauses,
    dates and names repeat across paragraphs, and jieba's DAG and HMM were most of a run's
    time. This is jieba.cut's loop (jieba 0.42.1, pinned) around a cache. re.split alternates
    the text between runs (even places) and runs (odd places), so which is which needs no
    second match."""
    out: list[str] = []
    blocks = _RUN.split(span)
    for i in range(1, len(blocks), 2):
        if blocks[i - 1]:
            _between(blocks[i - 1], out)
        out.extend(_cut_run(blocks[i]))
    if blocks[-1]:
        _between(blocks[-1], out)
    return out


def _between(block: str, out: list[str]) -> None:
    """jieba.cut between runs: every character alone, but a CR LF pair is one token."""
    if "\r" not in block:
        out.extend(block)
        return
    for x in _SKIP.split(block):
        if _SKIP.match(x):
            out.append(x)
        else:
            out.extend(x)


# Han (with its extensions, CJK symbols and 〇) and scripts written without spaces between
# words (kana, Yi, Thai, Lao, Myanmar, Khmer): a run of their letters is a phrase, not a word,
# so they stay with jieba. Also the variation selectors, which follow emoji and Han.
_UNSPACED = ((0x0E00, 0x0EFF), (0x1000, 0x109F), (0x1780, 0x17FF), (0x2E80, 0xA4CF),
             (0xF900, 0xFAFF), (0xFE00, 0xFE0F), (0xFE30, 0xFE4F), (0xFF66, 0xFF9F))


def _letters() -> str:
    """Character-class body of the non-ASCII letters and combining marks (categories L and M; marks
    so that a decomposed é or a Devanagari vowel sign stays inside its word), outside _UNSPACED.
    Built from unicodedata once (a few ms). The BMP only: astral letters are rare here, and the
    astral Han are not words anyway."""
    ranges: list[list[int]] = []
    lo = 0x80
    for a, b in _UNSPACED + ((0x10000, 0x10000),):
        for code in range(lo, a):
            if unicodedata.category(chr(code))[0] in "LM":
                if ranges and ranges[-1][1] == code - 1:
                    ranges[-1][1] = code
                else:
                    ranges.append([code, code])
        lo = b + 1
    return "".join(chr(a) if a == b else f"{chr(a)}-{chr(b)}" for a, b in ranges)


_L = _letters()
_NON_ASCII = re.compile(f"[{_L}]")  # one fast scan: most Chinese paragraphs have none
# A maximal run of letters, marks and digits holding a non-ASCII letter or mark. The lookbehind
# starts it at the run's start and the possessive ASCII prefix gives nothing back, so the pass is
# linear even over long ASCII words, which are not matched: jieba keeps them.
_WORD = re.compile(rf"(?<![A-Za-z\d{_L}])[A-Za-z\d]*+[{_L}][A-Za-z\d{_L}]*")
del _L
_LETTER = re.compile(r"[^\W\d_]")  # a keyword needs one (a Han character is one)


def _cut(text: str) -> list[str]:
    """`_jieba(text)`, but each _WORD whole; text without one goes to jieba unchanged."""
    if not _NON_ASCII.search(text):
        return _jieba(text)
    pieces: list[str] = []
    pos = 0
    for m in _WORD.finditer(text):
        pieces += _jieba(text[pos:m.start()])
        pieces.append(m.group())
        pos = m.end()
    pieces += _jieba(text[pos:])
    return pieces


def _pieces(text: str, entities: Entities | None = None) -> list[str]:
    """`text` cut into consecutive pieces (jieba's tokens, whitespace ones included, the
    non-ASCII words and the entities whole): they join back to `text`."""
    if entities is None:
        return _cut(text)
    pieces: list[str] = []
    pos = 0
    for start, end in entities.spans(text):
        pieces += _cut(text[pos:start])
        pieces.append(text[start:end])
        pos = end
    pieces += _cut(text[pos:])
    return pieces


def segment(text: str, entities: Entities | None = None) -> list[tuple[int, int]]:
    """Token spans (start, end) of `text`, entities whole, whitespace dropped."""
    spans, at = [], 0
    for piece in _pieces(text, entities):
        if piece.strip():
            spans.append((at, at + len(piece)))
        at += len(piece)
    return spans


def tokenize(text: str, text_original: str, entities: Entities | None = None
             ) -> tuple[list[str], list[str] | None]:
    pieces = _pieces(text, entities)
    tokens = [p for p in pieces if p.strip()]
    if text == text_original:
        # The same list, not an equal copy: pickle (to the main process, into the cache) then
        # writes it once.
        return tokens, tokens
    if len(text) != len(text_original):
        return tokens, None
    original, at = [], 0
    for piece in pieces:
        if piece.strip():
            original.append(text_original[at:at + len(piece)])
        at += len(piece)
    return tokens, original


# jieba.analyse's stop words (KeywordExtractor.STOP_WORDS). Its IDF table and these are read
# here rather than imported: importing jieba.analyse imports jieba.posseg, which reads jieba's
# whole dictionary file once more (about 0.5 s of every run). tests/test_tokens.py checks both
# against jieba.analyse.default_tfidf.
STOP_WORDS = frozenset("all an and are as at be by can for from has have if in is it not of on one or "
                       "that the then this to we which with you".split())


def _idf_file() -> Path:
    return Path(jieba.__file__).parent / "analyse" / "idf.txt"


def idf_cache() -> Path:
    """Where `make setup` leaves the IDF table, marshalled (beside jieba's dictionary cache)."""
    return dictionary_cache().with_name("jieba-idf.cache")


def _read_idf() -> tuple[dict[str, float], float]:
    """(IDF by word, the median IDF for unknown words) from jieba's idf.txt (a word and its IDF
    per line), as its IDFLoader reads it."""
    fields = _idf_file().read_bytes().decode("utf-8").split()
    idf = dict(zip(fields[::2], map(float, fields[1::2])))
    return idf, sorted(idf.values())[len(idf) // 2]


def write_idf_cache() -> Path:
    """The IDF table at `idf_cache()` (run by make setup)."""
    return _save(idf_cache(), _read_idf())


@lru_cache(maxsize=1)
def _tfidf() -> tuple[dict[str, float], float, frozenset[str]]:
    """jieba's TF-IDF data: (IDF by word, the median IDF for unknown words, stop words). From
    the cache make setup wrote if it is newer than idf.txt (0.13 s against 0.35 s of parsing the
    text, paid by every run that processes a page: a tenth of a two-page run), else from idf.txt."""
    try:
        if idf_cache().stat().st_mtime > _idf_file().stat().st_mtime:
            idf, median = marshal.loads(idf_cache().read_bytes())
            if isinstance(idf, dict) and isinstance(median, float):
                return idf, median, STOP_WORDS
    except Exception:  # missing or damaged: the text file
        pass
    return (*_read_idf(), STOP_WORDS)


# What keywords() needs to know of each distinct token, decided once per process (the same words
# recur on every page; judging them again per page was most of its time): its IDF (> 0) if it is
# a candidate, -1.0 if it only counts in the total (no letter), 0.0 if it does not count at all
# (one character, a stop word).
_judged: dict[str, float] = {}
MAX_JUDGED = 1 << 18  # distinct tokens remembered (some 30 MB); then it starts again


def _judge(token: str) -> float:
    idf, median, stop = _tfidf()
    if len(token.strip()) < 2 or token.lower() in stop:
        value = 0.0
    elif not _LETTER.search(token):
        value = -1.0
    else:
        value = idf.get(token, median)  # every IDF is positive
    if len(_judged) >= MAX_JUDGED:
        _judged.clear()
    _judged[token] = value
    return value


def keywords(tokens: list[str], top: int = KEYWORDS) -> list[tuple[str, float]]:
    """(keyword, weight) by TF-IDF, highest first; ties broken by the keyword for determinism."""
    counts = Counter(tokens)  # each distinct token judged once
    words = list(counts)
    values = list(map(_judged.get, words))
    if None in values:
        values = [_judge(w) if v is None else v for w, v in zip(words, values)]
    # Tokens without a letter still count in `total`, as in jieba, so the weights stay jieba's;
    # they are just not candidates.
    total = sum([n for n, v in zip(counts.values(), values) if v])
    if not total:
        return []
    # (-weight, word): the smallest first, ties broken by the word, as sorted(...)[:top]
    best = heapq.nsmallest(top, [(-(n / total * v), w)
                                 for w, n, v in zip(words, counts.values(), values) if v > 0])
    return [(w, round(-s, 6)) for s, w in best]


if __name__ == "__main__":  # make setup
    print(f"jieba's dictionary cache: {write_dictionary_cache()}")
    print(f"jieba's IDF table: {write_idf_cache()}")
