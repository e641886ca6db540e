"""Every output table has one frozen row record whose fields are its columns, in order, and every
stage hands the writer those records (never dicts)."""

from __future__ import annotations

import dataclasses

import pytest

from pipeline.dedup import apply
from pipeline.model import DocResult, RawPage
from pipeline.pages import Options, process_page
from pipeline.rows import FIELDS, ROWS, evolve, frozen
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


def _frozen_records():
    from pipeline import convert, grid, model

    return [c for m in (model, grid, convert) for c in vars(m).values()
            if isinstance(c, type) and c in FIELDS]


def _params(cls) -> list[tuple]:
    import inspect

    return [(p.name, p.kind, p.default) for p in inspect.signature(cls).parameters.values()]


def test_frozen_records_are_the_dataclasses_they_replace():
    """`rows.frozen` only makes __init__ quicker: the same fields, signature and defaults as
    dataclasses' own frozen __init__, and `evolve` is `dataclasses.replace` (checked against a
    plain frozen dataclass built from each record's fields)."""
    import pickle

    from pipeline.model import Cell, Document, Link, Paragraph

    records = _frozen_records()
    assert {Link, Cell, Paragraph, Document} <= set(records)
    for cls in records:
        plain = dataclasses.make_dataclass(cls.__name__, [(f.name, f.type, f) for f in dataclasses.fields(cls)],
                                           frozen=True)
        assert _params(cls) == _params(plain), cls
        assert cls.__dataclass_params__.frozen and cls.__hash__ is not None
    link = Link("甲", "乙", "internal")
    assert vars(link) == {"anchor_original": "甲", "target": "乙", "kind": "internal", "anchor": None}
    with pytest.raises(dataclasses.FrozenInstanceError):
        link.anchor = "x"
    changed = evolve(link, anchor="丙", target="丁")
    assert changed == dataclasses.replace(link, anchor="丙", target="丁") and link.anchor is None
    assert hash(changed) == hash(Link("甲", "丁", "internal", "丙"))
    assert pickle.loads(pickle.dumps(changed)) == changed
    cell = Cell("x", header=True)
    assert evolve(cell) == cell and evolve(cell) is not cell
    with pytest.raises(TypeError, match="no field 'txt'"):
        evolve(cell, txt="y")
    with pytest.raises(TypeError):
        dataclasses.replace(cell, txt="y")


def test_frozen_refuses_a_default_factory():
    with pytest.raises(TypeError, match="default_factory"):
        @frozen
        class Bag:
            items: list = dataclasses.field(default_factory=list)
