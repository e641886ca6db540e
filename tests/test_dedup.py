"""Dedup: the key, first-occurrence wins, and nothing is lost."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.dedup import dedup, dedup_key, dedup_text
from pipeline.model import DocResult
from pipeline.rows import DocumentRow, ParagraphRow


def test_key_ignores_script_width_and_punctuation():
    assert dedup_key("亞太經合組織(APEC),簡稱") == dedup_key("亚太经合组织（ＡＰＥＣ），简称")
    assert dedup_text("Ａ Ｂ，C。") == "abc"
    assert dedup_key("——") == ""
    assert dedup_key("亚太") != dedup_key("亚洲")


# Characters whose NFKC depends on their neighbours or differs from their own: combining marks
# that compose with the letter before (e + ́ -> é) or reorder, Hangul jamo that compose into
# syllables, full-width forms, ligatures, compatibility ideographs, and plain Chinese.
_NFKC_HARD = st.text(alphabet=st.sampled_from(
    "aeiouAEKn\u0301\u0308\u0327\u0323\u0345\u05b0\u0f71\u0f72\u1100\u1161\u11a8\uac00"
    "\u3099\u309a\u304b\u30cf\uff76\uff9e\uff0c\uff08\uff21\ufb01\u2460\u3000\u212b"
    "\uf900\u2f00\u0b47\u0b3e\u00c5\u1e0b\u0307中文，。"), max_size=30)


@settings(max_examples=400, deadline=None)
@given(st.one_of(_NFKC_HARD, st.text(max_size=30)))
def test_nfkc_by_translate_is_unicodedatas(text):
    import unicodedata

    from pipeline.dedup import nfkc

    assert nfkc(text) == unicodedata.normalize("NFKC", text)


def _result(doc_id, texts):
    rows = [ParagraphRow(doc_id=doc_id, para_index=i, section="", section_original="", kind="paragraph",
                         depth=0, text=t, text_original=t, script="hans", norm_hash=dedup_key(t),
                         tokens=(), tokens_original=None) for i, t in enumerate(texts)]
    document = DocumentRow(doc_id=doc_id, source="t.txt", format="plaintext", title=doc_id,
                           title_original=doc_id, script="hans", categories=(), categories_display=(),
                           n_paragraphs=len(rows), n_duplicates=0, n_tables=0, n_members=0,
                           content_sha256="", wiki=None, page_id=None, revision_id=None, timestamp=None)
    return DocResult(doc_id=doc_id, document=document, paragraphs=rows)


def test_first_occurrence_kept_across_documents():
    out = list(dedup([_result("a", ["甲乙", "丙丁", "甲乙"]), _result("b", ["丙丁。", "戊"])]))
    (a, a_dups), (b, b_dups) = out
    assert [r.para_index for r in a.paragraphs] == [0, 1]
    assert [(d.para_index, d.dup_of_doc_id, d.dup_of_para_index) for d in a_dups] == [(2, "a", 0)]
    assert [(d.para_index, d.dup_of_doc_id, d.dup_of_para_index) for d in b_dups] == [(0, "a", 1)]
    assert b.document.n_paragraphs == 1 and b.document.n_duplicates == 1


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.sampled_from(["甲", "乙。", "乙", "丙丁", "—", "甲 "]), max_size=8), max_size=5))
def test_every_paragraph_is_kept_or_recorded(docs):
    results = [_result(f"d{i}", texts) for i, texts in enumerate(docs)]
    out = list(dedup(results))
    for before, (after, dups) in zip(results, out):
        kept = {r.para_index for r in after.paragraphs}
        dropped = {d.para_index for d in dups}
        assert kept.isdisjoint(dropped)
        assert kept | dropped == {r.para_index for r in before.paragraphs}
    # dedup is idempotent: running it again on its own output drops nothing more
    again = list(dedup([after for after, _ in out]))
    assert all(not dups for _, dups in again)


def test_the_page_chain_keeps_rows_to_their_columns_and_gives_the_dedup_keys_apart():
    """The per-page half of dedup runs after extract (dedup.page_keys): rows hold exactly their
    schema's columns (no MinHash riding along), the keys go to the global pass on their own."""
    from pipeline.model import RawPage
    from pipeline.neardup import NearOptions, signature
    from pipeline.pages import Options, process_page
    from pipeline.schemas import SCHEMAS

    long = "长江是亚洲第一长河和世界第三长河，全长约6300公里，流域总面积180余万平方公里。"
    page = RawPage("a.txt", "a", "plaintext", f"短的一段。\n{long}\n")
    result, _templates, keys = process_page(page, Options())
    assert [list(vars(row)) for row in result.paragraphs] == [SCHEMAS["paragraphs"].names] * 2
    assert [k[:2] for k in keys] == [(0, dedup_key("短的一段。")), (1, dedup_key(long))]
    assert [r.norm_hash for r in result.paragraphs] == [k[1] for k in keys]
    assert keys[0][2:] == (None, None)  # too short for near duplicates
    assert keys[1][2] == signature(dedup_text(long), NearOptions()) and len(keys[1][3]) > 1
