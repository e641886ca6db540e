"""Near duplicates across scripts and formats, and precision on shared boilerplate."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import opencc
from datasketch import MinHash
from hypothesis import given, settings, strategies as st

from pipeline.dedup import dedup_text
from pipeline.neardup import NearIndex, NearOptions, shingle_hashes, signature, signatures
from pipeline.run import run
import pipeline

ROOT = Path(__file__).resolve().parent.parent
SEED_TXT = (ROOT / "tests/data/seeds/002_f60a54659c60a256.txt").read_text(encoding="utf-8")


def _simplified_markdown_copy(text: str) -> str:
    """Seed 002 as a pandoc-style Markdown export in Simplified: full-width punctuation,
    a footnote marker per paragraph, and in the long paragraphs one word changed."""
    lines = [l for l in text.split("\n") if l.strip()][:10]
    out = []
    for i, line in enumerate(lines):
        line = opencc.OpenCC("t2s.json").convert(line)
        line = line.replace(",", "，").replace(":", "：").replace("(", "（").replace(")", "）")
        if len(line) > 80:  # one changed word in a short paragraph is a different statement
            line = line.replace("的", "之", 1)
        out.append(line + f"\\[{i + 1}\\]")
    out[0] = "**亚太经济合作组织**" + out[0][len("亚太经济合作组织"):]
    return "\n\n".join(out) + "\n\n## 参考\n"


def test_traditional_plaintext_and_simplified_markdown_copies_match(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a_apec.txt").write_text(SEED_TXT, encoding="utf-8")
    (raw / "b_apec_copy.md").write_text(_simplified_markdown_copy(SEED_TXT), encoding="utf-8")
    run([raw], tmp_path / "out", quiet=True)
    frames = pipeline.load(str(tmp_path / "out"))
    dups = frames["duplicates"]
    copy = dups[dups.doc_id == "b_apec_copy"]
    # Every one of the copy's 10 paragraphs points back into the plain-text original.
    assert sorted(copy.para_index) == list(range(10))
    assert set(copy.dup_of_doc_id) == {"a_apec"}
    assert (copy.dup_of_para_index == copy.para_index).all()
    near = copy[copy.method == "near"]
    assert len(near) == 6 and near.similarity.between(0.8, 1.0).all()
    kept = frames["paragraphs"]
    assert (kept.doc_id == "b_apec_copy").sum() == 0


BOILERPLATE = "本条目是一篇关于国际组织的小作品，你可以通过编辑或修订扩充其内容，"
TOPICS = re.split(r"[。\n]", (ROOT / "tests/data/seeds/000_b725adc4755d8a28.txt").read_text(encoding="utf-8"))


def test_shared_boilerplate_does_not_make_paragraphs_near_duplicates():
    opts = NearOptions()
    index = NearIndex(opts)
    bodies = [re.sub(r"[^\u4e00-\u9fff]", "", t) for t in TOPICS]
    bodies = sorted({b for b in bodies if len(b) >= 25})
    assert len(bodies) >= 8
    matched = 0
    for body in bodies:
        sig = signature(BOILERPLATE + body, opts)
        _, root, _ = index.add(sig)
        matched += root is not None
    # Precision: none of these different paragraphs may be taken for a copy of another.
    assert matched == 0, f"{matched} of {len(bodies)} distinct paragraphs wrongly matched"


def test_short_paragraphs_use_exact_matching_only():
    assert signature("太短的段落", NearOptions()) is None
    assert signature("x" * 30, NearOptions(enabled=False)) is None


def test_clusters_are_transitive():
    opts = NearOptions(threshold=0.8, min_chars=10)
    base = "亚太经济合作组织是经济合作的论坛平台其运作是透过非约束性的承诺与成员的自愿强调开放对话"
    b = base[:-2] + "交流"
    c = b[:-4] + "平等尊重"
    index = NearIndex(opts)
    ids = [index.add(signature(t, opts)) for t in (base, b, c)]
    assert ids[0][1] is None and ids[1][1] == 0
    assert ids[2][1] in (0, None)  # c joins a's cluster through b, or stands alone; never another root


def test_index_finds_copies_at_any_distance_and_keeps_nothing_in_memory():
    opts = NearOptions(min_chars=10)
    index = NearIndex(opts)
    texts = [f"第{i}段完全不同的内容编号{i * 7919}以及更多的文字" for i in range(2000)]
    for i, t in enumerate(texts):
        assert index.add(signature(t, opts), payload=10_000 + i)[1] is None
    assert vars(index).keys() == {"opts", "db", "count"}  # no per-paragraph state
    # The first paragraph is found 2,000 paragraphs later; the payload of its root comes back.
    new_id, root, sim = index.add(signature(texts[0], opts))
    assert (new_id, root, sim) == (2000, 10_000, 1.0)
    assert index.db.execute("SELECT count(*) FROM near").fetchone() == (2001,)


def _datasketch_signature(text: str, opts: NearOptions) -> bytes:
    """The reference: datasketch's own MinHash over the same n-gram hashes."""
    m = MinHash(num_perm=opts.num_perm, seed=opts.seed, scheme="affine32", hashfunc=lambda v: v)
    m.update_batch(shingle_hashes(text, opts.ngram))
    return m.hashvalues.astype(np.uint32).tobytes()


def _corpus_paragraphs() -> list[str]:
    texts = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "tests/data/seeds").glob("*.txt"))]
    return [dedup_text(line) for t in texts for line in t.split("\n")]


def test_page_signatures_are_datasketch_minhashes():
    opts = NearOptions()
    texts = _corpus_paragraphs()
    long = [t for t in texts if len(t) >= opts.min_chars]
    assert len(long) >= 10
    got = signatures(texts, opts)
    assert [g is None for g in got] == [len(t) < opts.min_chars for t in texts]
    assert [g for g in got if g is not None] == [_datasketch_signature(t, opts) for t in long]


@settings(max_examples=60, derandomize=True, deadline=None)
@given(st.lists(st.text(alphabet="甲乙丙丁戊己庚辛壬癸ab1", min_size=0, max_size=80), max_size=8),
       st.sampled_from([1, 3, 5]))
def test_signatures_match_datasketch_for_any_texts(texts, ngram):
    opts = NearOptions(ngram=ngram, min_chars=5)
    got = signatures(texts, opts)
    for text, sig in zip(texts, got):
        assert sig == (_datasketch_signature(text, opts) if len(text) >= 5 else None)


def test_a_page_larger_than_one_chunk_or_group_gets_the_same_signatures(monkeypatch):
    import pipeline.neardup as neardup

    opts = NearOptions()
    texts = _corpus_paragraphs()
    whole = signatures(texts, opts)
    monkeypatch.setattr(neardup, "CHUNK", 7)  # chunks end inside texts and between them
    assert signatures(texts, opts) == whole
    monkeypatch.setattr(neardup, "GROUP_CHARS", 100)  # and groups of a few texts each
    assert signatures(texts, opts) == whole


def test_own_permutations_mix_and_layout_are_datasketchs():
    """neardup reproduces these so a run never imports datasketch (and scipy): they must not drift."""
    from datasketch.lsh import _optimal_param
    from datasketch.minhash import _fmix

    from pipeline.neardup import LAYOUTS, _fmix32, _layout, _permutations

    for num_perm, seed in ((128, 1), (64, 7), (256, 42)):
        theirs = MinHash(num_perm=num_perm, seed=seed, scheme="affine32").permutations
        assert np.array_equal(_permutations(num_perm, seed), theirs)
        assert _permutations(num_perm, seed).dtype == theirs.dtype
    values = np.random.default_rng(0).integers(0, 1 << 32, 10_000, dtype=np.uint64).astype(np.uint32)
    assert np.array_equal(_fmix32(values), _fmix(values, 32))
    for key, layout in LAYOUTS.items():
        assert _optimal_param(*key) == layout
    assert LAYOUTS[(NearOptions().threshold, NearOptions().num_perm, *NearOptions().lsh_weights)]
    other = NearOptions(threshold=0.7)  # not in the table: datasketch is asked
    assert _layout(other) == _optimal_param(0.7, 128, *other.lsh_weights)


def test_a_run_does_not_import_datasketch():
    import subprocess
    import sys

    code = "import sys, pipeline.run; print('datasketch' in sys.modules, 'scipy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
