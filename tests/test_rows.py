"""Every output table has one frozen row record whose fields are its columns, in order, and every
stage hands the writer those records (never dicts)."""

from __future__ import annotations

import dataclasses

import pytest

from pipeline.dedup import apply
from pipeline.model import DocResult, RawPage
from pipeline.pages import Options, process_page
from pipeline.rows import ROWS
from pipeline.schemas import ARROW, OUTPUTS, SCHEMAS

PAGE = """{{Infobox organization
| name = 某联盟
| members = [[智利]]、[[秘鲁]]
}}
'''某联盟'''是[[南美洲]]的组织。

== 成员国 ==
* [[智利]]
* [[秘鲁]]

{| class="wikitable"
|+ 成员
! 国家 !! 加入时间
|-
| [[智利]] || 2012年6月
|-
| [[秘鲁]] || 2013年
|}

某联盟是[[南美洲]]的组织。

[[Category:国际组织]]
"""


@pytest.mark.parametrize("name", OUTPUTS)
def test_a_table_is_its_record(name):
    """The fields are the columns, in order; a column's Arrow type is its annotation's; a field
    that may be None is a nullable column."""
    row, schema = ROWS[name], SCHEMAS[name]
    assert [f.name for f in dataclasses.fields(row)] == schema.names
    for f, column in zip(dataclasses.fields(row), schema):
        assert column.type == ARROW[f.type.removesuffix(" | None")], f.name
        assert column.nullable or "None" not in f.type, f.name
        assert column.metadata[b"doc"].decode() == f.metadata["doc"] != ""
    assert row.__dataclass_params__.frozen


def test_every_table_has_a_record():
    assert list(ROWS) == list(SCHEMAS) == list(OUTPUTS)


def test_the_page_chain_makes_each_table_of_its_records():
    result, _templates, keys = process_page(RawPage("a.txt", "a", "wikitext", PAGE, "某联盟"), Options())
    assert isinstance(result, DocResult)
    kept, dups = apply(result, {1: ("a", 0, "exact", 1.0)})  # as if paragraph 1 repeated 0
    tables = {"documents": [kept.document], "duplicates": dups,
              **{name: getattr(kept, name) for name in
                 ("paragraphs", "tables", "table_cells", "members", "links", "infobox", "keywords")}}
    for name, rows in tables.items():
        assert rows, f"the page gives no {name} rows"
        assert {type(r) for r in rows} == {ROWS[name]}, name
    assert kept.document.n_paragraphs == len(kept.paragraphs) and kept.document.n_duplicates == len(dups)
    assert all(r.norm_hash for r in result.paragraphs)  # set by the per-page half of dedup
    with pytest.raises(dataclasses.FrozenInstanceError):
        kept.paragraphs[0].text = "改"


def test_a_doc_result_pickles_to_equal_rows():
    """DocResults travel pickled (intermediate files, the page cache) with their rows as tuples."""
    import pickle

    result, _templates, _keys = process_page(RawPage("a.txt", "a", "wikitext", PAGE, "某联盟"), Options())
    again = pickle.loads(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
    assert again == result and again.table_cells and type(again.table_cells[0]) is ROWS["table_cells"]
    with pytest.raises(TypeError, match="rows of several kinds"):
        pickle.dumps(dataclasses.replace(result, links=[*result.links, result.paragraphs[0]]))
