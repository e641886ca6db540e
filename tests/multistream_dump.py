"""A small Wikimedia-style multistream dump and its index, generated for the tests.

As Wikimedia writes them: one bz2 stream for `<mediawiki>` and `<siteinfo>`, one per 100 pages,
one for `</mediawiki>`; the index has a line `offset:page_id:title` per page, offset being the
byte offset of the stream holding it. Pages share paragraphs (exact repeats), carry near copies
of a long one (one character changed), and include redirects and a talk page, so dedup, the
redirect table and the namespace filter all see pages spread over several shards.
"""

from __future__ import annotations

import bz2
from pathlib import Path
from xml.sax.saxutils import escape

HEADER = """<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.11/" version="0.11" xml:lang="zh">
  <siteinfo>
    <sitename>Wikipedia</sitename>
    <dbname>zhwiki</dbname>
    <base>https://zh.wikipedia.org/wiki/Wikipedia:%E9%A6%96%E9%A1%B5</base>
    <namespaces>
      <namespace key="0" case="first-letter" />
      <namespace key="1" case="first-letter">Talk</namespace>
    </namespaces>
  </siteinfo>
"""
SHARED = [
    "长江是亚洲第一长河和世界第三长河，全长约6300公里，流域总面积180余万平方公里，养育了众多人口。",
    "黄河是中国第二长河，发源于青海省巴颜喀拉山脉，流经九个省区，最后注入渤海，全长约5464公里。",
    "珠江是中国南方最大的河流，由西江、北江、东江和珠江三角洲诸河汇聚而成，流域面积四十五万平方公里。",
]
NEAR = "淮河位于中国东部，介于长江与黄河两条大河之间，是中国一条重要的自然地理分界线，全长约一千公里{x}。"


def page_text(i: int) -> str:
    if i % 17 == 5:
        return f"#REDIRECT [[条目{i - 1}]]"
    table = ("\n{| class=\"wikitable\"\n! 年份 !! 人口\n|-\n| 2010年 || 1000\n|-\n| 2020年 || 1200\n|}\n"
             if i % 4 == 0 else "")
    return (f"'''条目{i}'''是第{i}个测试条目，位于[[地点{i % 7}]]。\n\n== 历史 ==\n"
            f"{SHARED[i % 3]}\n\n{NEAR.format(x='甲乙丙'[i % 3])}\n\n"
            f"第{i}段独有的内容，说明这个条目的特点。\n{table}\n[[Category:测试{i % 2}]]\n")


def _page_xml(i: int) -> str:
    ns = 1 if i % 23 == 7 else 0
    title = f"Talk:条目{i}" if ns else f"条目{i}"
    text = page_text(i)
    redirect = f'    <redirect title="条目{i - 1}" />\n' if text.startswith("#REDIRECT") else ""
    return (f"  <page>\n    <title>{escape(title)}</title>\n    <ns>{ns}</ns>\n    <id>{i}</id>\n{redirect}"
            f"    <revision>\n      <id>{1000 + i}</id>\n      <timestamp>2026-11-01T00:00:00Z</timestamp>\n"
            f"      <text bytes=\"{len(text.encode())}\" xml:space=\"preserve\">{escape(text)}</text>\n"
            f"    </revision>\n  </page>\n")


def write(folder: Path, pages: int = 450, per_stream: int = 100,
          name: str = "zhwiki-20261101-pages-articles") -> tuple[Path, Path]:
    """(dump, index) under `folder`, page ids 1..pages."""
    folder.mkdir(parents=True, exist_ok=True)
    dump = folder / f"{name}-multistream.xml.bz2"
    index_lines = []
    with open(dump, "wb") as f:
        f.write(bz2.compress(HEADER.encode()))
        for start in range(1, pages + 1, per_stream):
            offset = f.tell()
            ids = range(start, min(start + per_stream, pages + 1))
            f.write(bz2.compress("".join(_page_xml(i) for i in ids).encode()))
            index_lines += [f"{offset}:{i}:{'Talk:' if i % 23 == 7 else ''}条目{i}" for i in ids]
        f.write(bz2.compress(b"</mediawiki>\n"))
    index = folder / f"{name}-multistream-index.txt.bz2"
    index.write_bytes(bz2.compress(("\n".join(index_lines) + "\n").encode()))
    return dump, index
