"""Tokens: our cached segmentation is jieba.cut exactly, and entities stay whole."""

from __future__ import annotations

import re
from pathlib import Path

import jieba
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.tokens import Entities, _jieba, segment, tokenize

DATA = Path(__file__).parent / "data"


def _corpus_lines() -> list[str]:
    lines = []
    for path in sorted(DATA.rglob("*")):
        if path.is_file() and path.suffix in (".md", ".wikitext", ".txt", ".xml"):
            lines += [ln for ln in path.read_text(encoding="utf-8", errors="replace").splitlines() if ln.strip()]
    return lines


def test_cached_segmentation_equals_jieba_cut_on_the_corpus():
    lines = _corpus_lines()
    assert len(lines) > 1000
    differ = [ln for ln in lines if _jieba(ln) != list(jieba.cut(ln))]
    assert differ == []
    # A second pass comes from the cache and must give the same again.
    assert all(_jieba(ln) == list(jieba.cut(ln)) for ln in lines[:200])


@settings(max_examples=300)
@given(st.text(alphabet=st.sampled_from(list("中华人民共和国的是在了和有大ABCab12.%-#&+_ ，。、\n\t()（）·")), max_size=60))
def test_cached_segmentation_equals_jieba_cut_on_any_text(text):
    assert _jieba(text) == list(jieba.cut(text))


def test_entities_are_kept_whole_and_spans_slice_the_text():
    text = "太平洋联盟的成员国包括智利和秘鲁。DragonFly BSD是一个操作系统。"
    spans = segment(text, Entities(["太平洋联盟", "DragonFly BSD"]))
    tokens = [text[a:b] for a, b in spans]
    assert "太平洋联盟" in tokens and "DragonFly BSD" in tokens
    assert all(t.strip() for t in tokens)
    assert re.sub(r"\s", "", "".join(tokens)) == re.sub(r"\s", "", text)


@settings(max_examples=200, derandomize=True, deadline=None)
@given(st.lists(st.text(alphabet="甲乙丙ab", min_size=1, max_size=4), max_size=6),
       st.text(alphabet="甲乙丙ab ，", max_size=40))
def test_entity_spans_are_the_regex_alternations_matches(names, text):
    """Leftmost, longest first, no overlaps: what `re` finds with the names as an alternation."""
    entities = Entities(names)
    expected = []
    if entities.names:
        pattern = re.compile("|".join(map(re.escape, entities.names)))
        expected = [m.span() for m in pattern.finditer(text)]
    assert entities.spans(text) == expected


def test_tokens_original_slices_the_original_text():
    text, original = "太平洋联盟成员国", "太平洋聯盟成員國"
    tokens, tokens_original = tokenize(text, original, Entities(["太平洋联盟"]))
    assert tokens[0] == "太平洋联盟" and "".join(tokens) == text
    assert tokens_original[0] == "太平洋聯盟" and "".join(tokens_original) == original
    assert tokenize("软件", "軟體軟體", None)[1] is None  # lengths differ: no alignment
