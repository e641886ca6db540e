"""Reading: discovery order, decoding, and format detection from content."""

from __future__ import annotations

from pathlib import Path

from pipeline.model import Problem, RawPage
from pipeline.read import decode, detect_format, discover, doc_id_for, read_file

ROOT = Path(__file__).resolve().parent.parent


def test_seed_formats_detected_from_content_not_extension():
    md = (ROOT / "tests/data/seeds/000_b725adc4755d8a28.txt").read_text(encoding="utf-8")
    txt = (ROOT / "tests/data/seeds/002_f60a54659c60a256.txt").read_text(encoding="utf-8")
    assert detect_format(md) == "markdown"
    assert detect_format(txt) == "plaintext"
    assert detect_format("'''綠豆椪'''是[[台灣]]的{{lang|zh|月餅}}。\n== 歷史 ==\n") == "wikitext"


def test_discovery_is_sorted_and_skips_docs(tmp_path):
    for name in ["b.txt", "a/c.md", "a/README.md", ".hidden", "a.txt"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x", encoding="utf-8")
    files, skipped = discover([tmp_path])
    assert [f.source for f in files] == ["a.txt", "a/c.md", "b.txt"]
    assert skipped == [".hidden", "a/README.md"]


def test_doc_id_is_path_without_extension():
    assert doc_id_for("a/b.txt") == "a/b"
    assert doc_id_for("dump.xml.bz2") == "dump"
    assert doc_id_for("noext") == "noext"


def test_bom_and_crlf_just_work():
    text, problems = decode("\ufeff第一行\r\n第二行\r\n".encode("utf-8"), "x.txt")
    assert text == "第一行\n第二行\n" and problems == []


def test_gb18030_and_big5_are_decoded_not_mojibake():
    s = "亞太經濟合作組織是經濟合作的論壇平臺，其運作是透過非約束性的承諾與成員的自願。"
    for enc in ("big5", "gb18030"):
        text, problems = decode(s.encode(enc), "x.txt")
        assert text == s and problems == [], enc


def test_empty_binary_and_broken_bytes_are_recorded():
    assert decode(b"  \n", "e.txt")[1][0].kind == "empty-file"
    assert decode(b"\x00\x01\x02abc", "b.bin")[1][0].kind == "binary-file"
    text, problems = decode("前文".encode() + b"\xff" + "後文\n".encode() * 50, "m.txt")
    assert text.startswith("前文\ufffd後文") and problems[0].kind == "invalid-utf8"
    assert "m.txt" in problems[0].message and "line 1" in problems[0].message


def test_read_file_yields_page_or_problem(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "ok.txt").write_text("亞太經合組織\n", encoding="utf-8")
    files, _ = discover([tmp_path])
    items = [item for f in files for item in read_file(f)]
    assert isinstance(items[0], Problem) and items[0].source == "empty.txt"
    assert isinstance(items[1], RawPage) and items[1].format == "plaintext" and items[1].doc_id == "ok"


def test_wikiextractor_docs_lose_the_repeated_title_line():
    from pipeline.readers.plaintext import split_extractor_docs

    text = '<doc id="102" url="u" title="淮河">\n淮河\n\n淮河，古称淮水。\n</doc>\n<doc id="7" url="u" title="长江">\n长江流经十一省。\n</doc>\n'
    pages = list(split_extractor_docs(text, "wiki_00", "wiki_00"))
    assert [(p.title, p.text.strip()) for p in pages] == [("淮河", "淮河，古称淮水。"), ("长江", "长江流经十一省。")]
