"""Reading: discovery order, decoding, and format detection from content."""

from __future__ import annotations

import os
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
    for name in ["b.txt", "a/c.md", "a/README.md", ".hidden", "a.txt", "MANIFEST-a.tsv",
                 "manifesto.txt"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x", encoding="utf-8")
    (tmp_path / ".git").mkdir()
    files, skipped, problems = discover([tmp_path])
    assert [f.source for f in files] == ["a.txt", "a/c.md", "b.txt", "manifesto.txt"]
    assert skipped == [".git/ (hidden)", ".hidden (hidden)", "MANIFEST-a.tsv (documents its folder)",
                       "a/README.md (documents its folder)"]
    assert problems == []


def test_linked_folders_are_followed_once_and_loops_recorded(tmp_path):
    raw, elsewhere = tmp_path / "raw", tmp_path / "elsewhere"
    (raw / "a").mkdir(parents=True)
    elsewhere.mkdir()
    (raw / "a" / "x.txt").write_text("x")
    (elsewhere / "y.txt").write_text("y")
    (raw / "linked").symlink_to(elsewhere)  # a folder kept outside raw/: read
    (raw / "a" / "loop").symlink_to(raw)  # back to the root: a loop
    (raw / "b").symlink_to(raw / "a")  # a second name for a/
    (raw / "gone").symlink_to(tmp_path / "missing")  # a broken link
    files, skipped, problems = discover([raw])
    assert [f.source for f in files] == ["a/x.txt", "linked/y.txt"]
    assert skipped == ["a/loop/ (the same folder as the input folder itself, read there)",
                       "b/ (the same folder as a/, read there)", "gone (not a regular file)"]
    assert problems == []


def test_output_and_cache_folders_inside_the_input_are_skipped(tmp_path):
    for name in ("page.txt", "out/documents.csv", "cache/pages.sqlite"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text("x")
    files, skipped, _ = discover([tmp_path], {tmp_path / "out": "the output folder",
                                              tmp_path / "./cache": "the cache folder", None: "-"})
    assert [f.source for f in files] == ["page.txt"]
    assert skipped == ["cache/ (the cache folder)", "out/ (the output folder)"]


def test_a_folder_that_cannot_be_listed_is_a_problem(tmp_path, monkeypatch):
    # Tests may run as root, who can list a chmod 000 folder: refuse the listing instead.
    real = os.scandir

    def scandir(path="."):
        if str(path).endswith("/secret"):  # (rmtree passes file descriptors)
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    (tmp_path / "secret").mkdir()
    (tmp_path / "secret" / "hidden_page.txt").write_text("x")
    (tmp_path / "ok.txt").write_text("x")
    files, _, problems = discover([tmp_path])
    assert [f.source for f in files] == ["ok.txt"]
    assert [(p.source, p.kind) for p in problems] == [("secret/", "unreadable")]
    assert problems[0].message == ("secret/: cannot list this folder (Permission denied); "
                                   "nothing under it was read")


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
    files, _, _ = discover([tmp_path])
    items = [item for f in files for item in read_file(f)]
    assert isinstance(items[0], Problem) and items[0].source == "empty.txt"
    assert isinstance(items[1], RawPage) and items[1].format == "plaintext" and items[1].doc_id == "ok"


def test_wikiextractor_docs_lose_the_repeated_title_line():
    from pipeline.readers.plaintext import split_extractor_docs

    text = '<doc id="102" url="u" title="淮河">\n淮河\n\n淮河，古称淮水。\n</doc>\n<doc id="7" url="u" title="长江">\n长江流经十一省。\n</doc>\n'
    pages = list(split_extractor_docs(text, "wiki_00", "wiki_00"))
    assert [(p.title, p.text.strip()) for p in pages] == [("淮河", "淮河，古称淮水。"), ("长江", "长江流经十一省。")]


def test_wikiextractor_text_outside_any_doc_is_recorded():
    """Text between `</doc>` and the next `<doc>`, or after the last, belongs to no document:
    it was dropped without a row."""
    from pipeline.readers.plaintext import split_extractor_docs

    text = ('<doc id="1" url="u" title="甲">\n甲是一个组织。\n</doc>\n\n这一行不在任何文档里。\n'
            '<doc id="2" url="u" title="乙">\n乙是另一个组织。\n</doc>\n末尾的说明。\n')
    items = list(split_extractor_docs(text, "wiki_00", "wiki_00"))
    assert [type(i).__name__ for i in items] == ["RawPage", "Problem", "RawPage", "Problem"]
    assert [(p.kind, p.message) for p in items if isinstance(p, Problem)] == [
        ("malformed-doc", "wiki_00: line 5: text outside <doc>…</doc>, not read: '这一行不在任何文档里。'"),
        ("malformed-doc", "wiki_00: line 9: text outside <doc>…</doc>, not read: '末尾的说明。'")]


def test_a_file_replaced_while_it_is_read_is_recorded(tmp_path):
    page = "<page><title>P{0}</title><ns>0</ns><id>{0}</id><revision><text>文{0}</text></revision></page>"
    (tmp_path / "d.xml").write_text(f"<mediawiki>{page.format(1)}{page.format(2)}</mediawiki>")
    (f,), _, _ = discover([tmp_path])
    items = read_file(f)
    assert next(items).title == "P1"
    (tmp_path / "new").write_text("另一個檔案\n")
    os.replace(tmp_path / "new", tmp_path / "d.xml")  # as a dump download finishing would
    rest = list(items)
    assert [r.title for r in rest[:-1]] == ["P2"]  # the open file is still the old one
    assert (rest[-1].kind, rest[-1].source) == ("input-changed", "d.xml")
    assert rest[-1].message.startswith("d.xml: the file changed while the run read it")
    assert list(read_file(f))[-1].kind == "input-changed"  # found as one file, now another


def test_a_dump_is_known_by_its_root_after_any_prolog():
    from pipeline.read import MAX_SNIFF, is_xml_dump

    root = b'<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.11/">'
    prolog = (b'\xef\xbb\xbf<?xml version="1.0"?>\n<!-- ' + "註釋".encode() * 2000 + b" -->\n"
              b'<?xml-stylesheet href="x"?>\n<!DOCTYPE mediawiki [ <!ENTITY a "b"> ]>\n')
    assert len(prolog) > 4096 and is_xml_dump(prolog + root)
    assert is_xml_dump(b"<mediawiki>") and is_xml_dump(b"\n<mediawiki\n  version='0.10'>")
    assert not is_xml_dump(b'<?xml version="1.0"?><root><mediawiki/></root>')
    assert not is_xml_dump(b"<mediawikitext>") and not is_xml_dump("'''粗體''' <mediawiki>".encode())
    # A prolog still open at the end of the sniffed prefix: the dump reader checks the root.
    assert is_xml_dump((b"<!-- " + b"x" * MAX_SNIFF)[:MAX_SNIFF])
    assert not is_xml_dump(b"<!-- a short unclosed comment")
