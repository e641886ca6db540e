"""Dedup: the key, first-occurrence wins, and nothing is lost."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.dedup import dedup, dedup_key, dedup_text
from pipeline.model import DocResult


def test_key_ignores_script_width_and_punctuation():
    assert dedup_key("亞太經合組織(APEC),簡稱") == dedup_key("亚太经合组织（ＡＰＥＣ），简称")
    assert dedup_text("Ａ Ｂ，C。") == "abc"
    assert dedup_key("——") == ""
    assert dedup_key("亚太") != dedup_key("亚洲")


def _result(doc_id, texts):
    rows = [{"doc_id": doc_id, "para_index": i, "section": "", "text_original": t,
             "norm_hash": dedup_key(t)} for i, t in enumerate(texts)]
    return DocResult(doc_id=doc_id, document={"doc_id": doc_id}, paragraphs=rows)


def test_first_occurrence_kept_across_documents():
    out = list(dedup([_result("a", ["甲乙", "丙丁", "甲乙"]), _result("b", ["丙丁。", "戊"])]))
    (a, a_dups), (b, b_dups) = out
    assert [r["para_index"] for r in a.paragraphs] == [0, 1]
    assert [(d["para_index"], d["dup_of_doc_id"], d["dup_of_para_index"]) for d in a_dups] == [(2, "a", 0)]
    assert [(d["para_index"], d["dup_of_doc_id"], d["dup_of_para_index"]) for d in b_dups] == [(0, "a", 1)]
    assert b.document["n_paragraphs"] == 1 and b.document["n_duplicates"] == 1


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.sampled_from(["甲", "乙。", "乙", "丙丁", "—", "甲 "]), max_size=8), max_size=5))
def test_every_paragraph_is_kept_or_recorded(docs):
    results = [_result(f"d{i}", texts) for i, texts in enumerate(docs)]
    out = list(dedup(results))
    for before, (after, dups) in zip(results, out):
        kept = {r["para_index"] for r in after.paragraphs}
        dropped = {d["para_index"] for d in dups}
        assert kept.isdisjoint(dropped)
        assert kept | dropped == {r["para_index"] for r in before.paragraphs}
    # dedup is idempotent: running it again on its own output drops nothing more
    again = list(dedup([after for after, _ in out]))
    assert all(not dups for _, dups in again)
