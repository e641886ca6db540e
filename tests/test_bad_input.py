"""The bad-input catalogue, end to end: every bad file gets an `errors` row naming the file (and
page or line), the run finishes, and the good files of the same run still come out.

Most cases share one run over one mixed folder (`catalogue`); the cases that need their own
options (time limits, a parser that raises, exit codes) have their own runs. Big inputs (10 MB
lines, thousands of nested templates) are generated here in tmp_path, never committed.
"""

from __future__ import annotations

import bz2
import gzip
import json
import os
import random
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest

import pipeline
from pipeline import pages as run_module  # the per-page chain (parse -> normalise -> extract)
from pipeline import read as read_module
from pipeline.run import Options, run

ROOT = Path(__file__).resolve().parent.parent
BAD = Path(__file__).resolve().parent / "data" / "bad"
VIWIKI = ROOT / "tests" / "data" / "corpus" / "xml" / "wikiextractor_pr_viwiki_10pages.xml"
VI_IDS = [1, 2, 4, 5, 13, 24, 25, 26, 33]  # main-namespace page ids of the viwiki sample, in order

GOOD_TXT = "太平洋联盟是拉丁美洲的区域经济一体化组织，成立于二〇一一年。\n"
GBK_TEXT = "亚太经济合作组织是亚太区内各地区之间促进经济成长、合作、贸易、投资的论坛。\n"
BIG5_TEXT = "東南亞國家協會是集合東南亞區域國家的一個政府性國際組織，總部設於印尼雅加達。\n"
UTF16_TEXT = "南方共同市場是南美洲國家的區域貿易協定。\n第二段落在這裡。\n"


def _files(tmp: Path) -> dict[str, bytes | str]:
    """The catalogue: file name -> bytes (small fixtures come from tests/data/bad/)."""
    raw = VIWIKI.read_bytes()
    packed = bz2.compress(raw, compresslevel=1)  # 100 kB blocks: the first ones survive a cut
    rnd = random.Random(5)
    middle = raw.rindex(b"<page>", 0, raw.index("<title>Thụy Điển</title>".encode()))
    return {
        "empty.txt": b"",
        "blank.txt": b" \t\n\r\n   \n",
        "image.png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + rnd.randbytes(4000),
        "bom_crlf.wiki": (BAD / "bom_crlf.wiki").read_bytes(),
        "gbk.txt": GBK_TEXT.encode("gbk"),
        "gb18030.txt": "粤港澳大湾区包括香港、澳门和广东省九市。\n".encode("gb18030"),
        "big5.txt": BIG5_TEXT.encode("big5"),
        "utf16.txt": UTF16_TEXT.encode("utf-16"),
        "utf16_odd.txt": UTF16_TEXT.encode("utf-16") + b"A",  # a final half code unit
        "broken_bytes.txt": ("第一行是完好的文字。\n第二行也完好。\n第三行的中間" .encode()
                             + b"\xff\xfe" + "有壞字節。\n第四行完好。\n".encode()),
        "cut.xml.bz2": packed[: len(packed) * 7 // 10],
        "bz2_first_block_cut.xml.bz2": bz2.compress(raw)[:5000],
        "malformed.xml": raw[:middle] + "<page><title>壞</title><<>& </oops>\n".encode() + raw[middle:],
        "text.gz": gzip.compress("這是一份壓縮過的純文字，不是維基轉儲。\n".encode()),
        "bzh_text.txt": "BZh 是一個不常見的縮寫，這是普通文字。\n".encode(),
        "unclosed.wiki": (BAD / "unclosed.wiki").read_bytes(),
        "nested_templates.wiki": ("'''深層模板'''是測試頁。" + "{{a|" * 5000 + "內" + "}}" * 5000
                                  + "\n\n模板之後的段落。\n").encode(),
        "nested_templates_unclosed.wiki": ("'''未閉合模板'''是測試頁。\n\n" + "{{a|" * 1000
                                           + "\n\n未閉合模板之後的段落。\n").encode(),
        "nested_lists.wiki": ("'''深層列表'''是測試頁。\n" + "*" * 5000 + " 很深的項目\n"
                              + "#:;" * 1000 + " 混合的項目\n").encode(),
        "nested_tables.wiki": ("'''深層表格'''是測試頁。\n" + "{|\n|\n" * 1000 + "最內層\n"
                               + "|}\n" * 1000 + "\n深層表格之後的段落。\n").encode(),
        "surrogate_entity.wiki": "'''實體'''測試&#xD800;文字。\n".encode(),
        "markup_only.wiki": (BAD / "markup_only.wiki").read_bytes(),
        "broken_tables.md": (BAD / "broken_tables.md").read_bytes(),
        "good_md.md": (BAD / "good.md").read_bytes(),
        "good.txt": GOOD_TXT.encode(),
        # 5 kB of comment before the root: the dump sniffer once looked at 4 kB only.
        "long_prolog.xml": ('<?xml version="1.0" encoding="UTF-8"?>\n<!-- ' + "註釋" * 2500
                            + ' -->\n<!DOCTYPE mediawiki>\n' + _dump("prologwiki", (1, "序言之後"))),
        "huge_id.xml": _dump("idwiki", (99999999999999999999, "太大"), (7, "好")),
    }


def _dump(wiki: str, *pages: tuple[int, str]) -> str:
    return (f"<mediawiki>\n<siteinfo><dbname>{wiki}</dbname></siteinfo>\n" + "".join(
        f"<page><title>{title}</title><ns>0</ns><id>{page_id}</id><revision><id>1</id>"
        f"<text>'''{title}'''是測試頁面。</text></revision></page>\n" for page_id, title in pages)
        + "</mediawiki>\n")


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("catalogue")
    raw = tmp / "raw"
    raw.mkdir()
    for name, data in _files(tmp).items():
        (raw / name).write_bytes(data.encode() if isinstance(data, str) else data)
    elsewhere = tmp / "elsewhere"  # a folder kept outside raw/, linked in
    elsewhere.mkdir()
    (elsewhere / "linked_page.txt").write_bytes("連結資料夾裡的頁面。\n".encode())
    (raw / "linked").symlink_to(elsewhere)
    (raw / "loop").symlink_to(raw)
    out = tmp / "out"
    started = time.monotonic()
    summary = run([raw], out, Options(page_timeout=60), quiet=True)
    frames = pipeline.load(str(out))
    return summary, frames, time.monotonic() - started


def _errors(frames, source):
    e = frames["errors"]
    return e[e.source == source]


def _doc(frames, doc_id):
    d = frames["documents"]
    rows = d[d.doc_id == doc_id]
    assert len(rows) == 1, f"{doc_id} not in documents: {sorted(d.doc_id)}"
    return rows.iloc[0]


def _paragraphs(frames, doc_id) -> list[str]:
    p = frames["paragraphs"]
    return list(p[p.doc_id == doc_id].text_original)


def test_every_problem_message_names_its_file(catalogue):
    _, frames, seconds = catalogue
    for row in frames["errors"].itertuples():
        assert row.message.startswith(f"{row.source}: "), row
    assert seconds < 120


@pytest.mark.parametrize("name, kind", [
    ("empty.txt", "empty-file"),
    ("blank.txt", "empty-file"),
    ("image.png", "binary-file"),
])
def test_unreadable_files_are_one_error_and_no_document(catalogue, name, kind):
    _, frames, _ = catalogue
    errors = _errors(frames, name)
    assert list(errors.kind) == [kind] and list(errors.stage) == ["read"]
    assert not (frames["documents"].source == name).any()


def test_bom_and_crlf_just_work(catalogue):
    _, frames, _ = catalogue
    assert _errors(frames, "bom_crlf.wiki").empty
    doc = _doc(frames, "bom_crlf")
    assert doc.title_original == "亞太經合組織" and doc.format == "wikitext"
    assert not any("\r" in t or "\ufeff" in t for t in _paragraphs(frames, "bom_crlf"))
    assert "秘鲁" in set(frames["members"].member)


@pytest.mark.parametrize("doc_id, text", [
    ("gbk", GBK_TEXT.strip()),
    ("gb18030", "粤港澳大湾区包括香港、澳门和广东省九市。"),
    ("big5", BIG5_TEXT.strip()),
    ("utf16", "南方共同市場是南美洲國家的區域貿易協定。"),
])
def test_legacy_and_utf16_encodings_are_decoded_without_mojibake(catalogue, doc_id, text):
    _, frames, _ = catalogue
    assert _errors(frames, _doc(frames, doc_id).source).empty
    assert _paragraphs(frames, doc_id)[0] == text


def test_broken_utf16_and_utf8_bytes_are_kept_as_replacement_and_recorded(catalogue):
    _, frames, _ = catalogue
    (msg,) = _errors(frames, "utf16_odd.txt").message
    assert "utf16_odd.txt: line 3:" in msg
    (row,) = _errors(frames, "broken_bytes.txt").itertuples()
    assert row.kind == "invalid-utf8" and "broken_bytes.txt: line 3:" in row.message
    assert _paragraphs(frames, "broken_bytes") == [
        "第一行是完好的文字。", "第二行也完好。", "第三行的中間\ufffd\ufffd有壞字節。", "第四行完好。"]


def test_truncated_bz2_keeps_complete_pages(catalogue):
    _, frames, _ = catalogue
    (row,) = _errors(frames, "cut.xml.bz2").itertuples()
    assert row.kind == "corrupt-compression" and "last complete page" in row.message
    kept = frames["documents"][frames["documents"].source == "cut.xml.bz2"].page_id.tolist()
    redirected = frames["redirects"][frames["redirects"].source == "cut.xml.bz2"].page_id.tolist()
    done = sorted(int(x) for x in kept + redirected)
    assert done and done == VI_IDS[: len(done)] and len(done) < len(VI_IDS)


def test_bz2_cut_inside_its_first_block_is_one_error(catalogue):
    _, frames, _ = catalogue
    (row,) = _errors(frames, "bz2_first_block_cut.xml.bz2").itertuples()
    assert row.kind == "corrupt-compression" and "cut short" in row.message


def test_malformed_xml_in_the_middle_keeps_earlier_pages(catalogue):
    _, frames, _ = catalogue
    errors = _errors(frames, "malformed.xml")
    (row,) = errors[errors.kind != "duplicate-page"].itertuples()
    assert row.kind == "malformed-xml"
    assert "last complete page 'Wikipedia:Nhật trình tải lên' (id 28)" in row.message  # ns 4, skipped
    assert "near line" in row.message
    # The catalogue's cut.xml.bz2 (read first) holds the same viwiki pages: those it kept are
    # duplicate-page rows here, the others documents of this file.
    kept = frames["documents"][frames["documents"].source == "malformed.xml"].page_id.tolist()
    repeated = errors[errors.kind == "duplicate-page"].doc_id.tolist()
    assert sorted([int(x) for x in kept] + [int(x.split("/")[1]) for x in repeated]) == [2, 4, 13, 24, 26]
    assert repeated and all("already read from cut.xml.bz2" in m
                            for m in errors[errors.kind == "duplicate-page"].message)


def test_gzip_and_bzh_text_are_read_as_text(catalogue):
    _, frames, _ = catalogue
    for doc_id, source in (("text", "text.gz"), ("bzh_text", "bzh_text.txt")):
        assert _errors(frames, source).empty
        assert _doc(frames, doc_id).format == "plaintext"
    assert _paragraphs(frames, "text") == ["這是一份壓縮過的純文字，不是維基轉儲。"]


def test_unclosed_tables_and_templates_keep_the_text(catalogue):
    _, frames, _ = catalogue
    assert _errors(frames, "unclosed.wiki").empty
    paras = " ".join(_paragraphs(frames, "unclosed"))
    assert "未閉合的表格和模板" in paras and "表格之前的段落" in paras
    assert not any(m in paras for m in ("{{", "}}", "{|", "|}", "[[", "|-"))
    # An open `{|` is closed at the end of the page, as MediaWiki does.
    cells = frames["table_cells"][frames["table_cells"].doc_id == "unclosed"]
    assert list(cells.text_original) == ["一", "二", "三", ""]


@pytest.mark.parametrize("doc_id", ["nested_templates", "nested_templates_unclosed",
                                    "nested_lists", "nested_tables"])
def test_deep_nesting_is_read_without_recursion_error(catalogue, doc_id):
    _, frames, _ = catalogue
    doc = _doc(frames, doc_id)
    assert _errors(frames, doc.source).empty
    tails = {"nested_templates": "模板之後的段落。", "nested_templates_unclosed": "未閉合模板之後的段落。",
             "nested_tables": "深層表格之後的段落。", "nested_lists": "混合的項目"}
    paragraphs = _paragraphs(frames, doc_id)
    assert any(p.endswith(tails[doc_id]) for p in paragraphs)
    # Tables nested past mwparserfromhell's depth limit (~50) leave their `|}` lines as text.
    assert not any(m in p for p in paragraphs for m in ("{{", "}}"))


def test_surrogate_entity_becomes_replacement_character(catalogue):
    _, frames, _ = catalogue
    assert _errors(frames, "surrogate_entity.wiki").empty
    assert _paragraphs(frames, "surrogate_entity") == ["實體測試\ufffd文字。"]


def test_markup_only_page_is_a_document_without_paragraphs(catalogue):
    _, frames, _ = catalogue
    doc = _doc(frames, "markup_only")
    assert _errors(frames, "markup_only.wiki").empty
    assert doc.n_paragraphs == 0 and list(doc.categories) == ["测试分类"]


def test_broken_markdown_tables_are_read(catalogue):
    _, frames, _ = catalogue
    assert _errors(frames, "broken_tables.md").empty
    doc = _doc(frames, "broken_tables")
    assert doc.format == "markdown" and doc.title_original == "破損表格"
    assert "表格之後的段落。" in _paragraphs(frames, "broken_tables")


def test_linked_folders_are_read_and_a_loop_is_listed(catalogue):
    summary, frames, _ = catalogue
    assert _paragraphs(frames, "linked/linked_page") == ["連結資料夾裡的頁面。"]
    assert "loop/ (the same folder as the input folder itself, read there)" in summary.skipped_files
    assert not frames["documents"].source.str.startswith("loop/").any()


def test_a_dump_after_a_long_prolog_is_a_dump(catalogue):
    _, frames, _ = catalogue
    assert _errors(frames, "long_prolog.xml").empty
    assert _doc(frames, "prologwiki/1").title_original == "序言之後"


def test_page_ids_beyond_int64_are_an_error_row_not_a_crash(catalogue):
    _, frames, _ = catalogue
    (row,) = _errors(frames, "huge_id.xml").itertuples()
    assert row.kind == "bad-page-id" and "page '太大'" in row.message and "line" in row.message
    assert _doc(frames, "idwiki/7").page_id == 7


def test_good_files_in_the_same_run_come_out(catalogue):
    summary, frames, _ = catalogue
    assert _doc(frames, "good_md").title_original == "好頁面"
    assert _paragraphs(frames, "good") == [GOOD_TXT.strip()]
    assert summary.problems == len(frames["errors"])


# -- the per-page time limit, a parser that raises, 10 MB lines ----------------------------

def _folder(tmp_path: Path, files: dict[str, str | bytes]) -> Path:
    raw = tmp_path / "raw"
    raw.mkdir()
    for name, data in files.items():
        (raw / name).write_bytes(data.encode() if isinstance(data, str) else data)
    return raw


def test_page_over_the_time_limit_is_recorded_and_skipped(tmp_path, monkeypatch):
    real_parse = run_module.parse

    def slow_parse(page):
        if page.doc_id == "slow":
            time.sleep(30)  # interrupted by the page timer
        return real_parse(page)

    monkeypatch.setattr(run_module, "parse", slow_parse)
    raw = _folder(tmp_path, {"slow.txt": "慢的頁面。\n", "fast.txt": GOOD_TXT})
    started = time.monotonic()
    run([raw], tmp_path / "out", Options(page_timeout=0.5), quiet=True)
    assert time.monotonic() - started < 20
    frames = pipeline.load(str(tmp_path / "out"))
    (row,) = frames["errors"].itertuples()
    assert (row.source, row.doc_id, row.stage, row.kind) == ("slow.txt", "slow", "parse", "timeout")
    assert row.message == "slow.txt: slow: gave up after 0.5s in parse"
    assert list(frames["documents"].doc_id) == ["fast"]


def test_a_timeout_that_a_library_turns_into_another_error_is_still_a_timeout(tmp_path, monkeypatch):
    """mwparserfromhell's C tokenizer, interrupted by the page timer, can raise ParserError
    instead of letting the timer's exception through (seen on CI with a 10 MB wikitext line)."""
    real_parse = run_module.parse

    def converting_parse(page):
        if page.doc_id == "slow":
            try:
                time.sleep(30)  # interrupted by the page timer
            except Exception as e:
                raise ValueError("C tokenizer exited with non-empty token stack") from e
        return real_parse(page)

    monkeypatch.setattr(run_module, "parse", converting_parse)
    raw = _folder(tmp_path, {"slow.txt": "慢的頁面。\n", "fast.txt": GOOD_TXT})
    run([raw], tmp_path / "out", Options(page_timeout=0.5), quiet=True)
    frames = pipeline.load(str(tmp_path / "out"))
    (row,) = frames["errors"].itertuples()
    assert (row.source, row.doc_id, row.stage, row.kind) == ("slow.txt", "slow", "parse", "timeout")
    assert list(frames["documents"].doc_id) == ["fast"]


def test_a_parser_that_raises_is_a_parse_error_for_that_page_only(tmp_path, monkeypatch):
    real_parse = run_module.parse

    def flaky_parse(page):
        if page.title == "Ohio":
            raise ValueError("boom")
        return real_parse(page)

    monkeypatch.setattr(run_module, "parse", flaky_parse)
    raw = _folder(tmp_path, {"dump.xml": VIWIKI.read_bytes(), "good.txt": GOOD_TXT})
    run([raw], tmp_path / "out", quiet=True)
    frames = pipeline.load(str(tmp_path / "out"))
    errors = frames["errors"]
    (row,) = errors[errors.stage == "parse"].itertuples()  # the sample dump is also cut short
    assert (row.source, row.doc_id, row.stage, row.kind) == ("dump.xml", "viwiki/24", "parse",
                                                            "parse-error")
    assert row.message == "dump.xml: Ohio: ValueError: boom"
    docs = frames["documents"]
    assert 24 not in set(docs.page_id) and {4, 13, 26} <= set(docs.page_id) and "good" in set(docs.doc_id)


def _ten_mb_line(unit: str) -> str:
    size = 10 * 1024 * 1024
    return (unit * (size // len(unit.encode()) + 1)).encode()[:size].decode("utf-8", "ignore")


def test_ten_megabyte_single_lines_finish_in_bounded_time(tmp_path):
    """A 10 MB line of plain text or of wikitext is one huge page: it is worked on for at most
    page_timeout seconds (the limit is small here to keep the suite fast; the full times with
    the default limit are in the README), then recorded, and the run goes on."""
    raw = _folder(tmp_path, {
        "huge.txt": _ten_mb_line("亞太經濟合作組織是經濟合作的論壇平臺，其運作是透過非約束性的承諾。"),
        "huge.wiki": _ten_mb_line("'''粗體'''文字[[連結|錨]]、{{lang|en|Foo}}和<ref>注</ref>。{{a|"),
        "good.txt": GOOD_TXT,
    })
    started = time.monotonic()
    run([raw], tmp_path / "out", Options(page_timeout=2), quiet=True)
    assert time.monotonic() - started < 120  # generous: CI machines are shared
    frames = pipeline.load(str(tmp_path / "out"))
    errors = frames["errors"].sort_values("source")
    assert list(errors.source) == ["huge.txt", "huge.wiki"]
    assert set(errors.kind) == {"timeout"}
    # huge.txt and huge.wiki would share doc_id "huge": both keep their extension instead.
    assert all(m.startswith(f"{s}: {s}: gave up after 2s in ")
               for s, m in zip(errors.source, errors.message))
    assert list(frames["documents"].doc_id) == ["good"]


def test_long_single_lines_are_whole_documents(tmp_path):
    """Half-megabyte lines of plain text and wikitext are processed in full (no timeout)."""
    raw = _folder(tmp_path, {
        "long_text.txt": "亞太經合組織的長句子，" * 20_000 + "\n",
        "long_wiki.wiki": "'''長頁'''" + "文字[[連結]]，{{lang|en|Foo}}。" * 8_000 + "\n",
    })
    run([raw], tmp_path / "out", quiet=True)
    frames = pipeline.load(str(tmp_path / "out"))
    assert frames["errors"].empty
    docs = frames["documents"].set_index("doc_id")
    assert docs.loc["long_text"].format == "plaintext" and docs.loc["long_wiki"].format == "wikitext"
    assert docs.loc["long_wiki"].title_original == "長頁"


# -- the input folder and the run's own folders ------------------------------------------------

def test_an_output_folder_inside_the_input_is_not_read_back(tmp_path):
    raw = _folder(tmp_path, {"good.txt": GOOD_TXT})
    for _ in range(2):  # the first run makes out/ and cache/; the second must not read them
        run([raw], raw / "out", quiet=True, cache_dir=raw / "cache")
    frames = pipeline.load(str(raw / "out"))
    assert list(frames["documents"].doc_id) == ["good"] and frames["errors"].empty
    manifest = json.loads((raw / "out" / "manifest.json").read_text())
    assert manifest["skipped_files"] == ["cache/ (the cache folder)", "out/ (the output folder)"]
    assert [i["source"] for i in manifest["inputs"]] == ["good.txt"]


def test_a_folder_that_cannot_be_listed_is_an_error_row(tmp_path, monkeypatch):
    real = os.scandir  # as root, chmod 000 would not stop the listing: refuse it here

    def scandir(path="."):
        if str(path).endswith("/locked"):  # (rmtree passes file descriptors)
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    raw = _folder(tmp_path, {"good.txt": GOOD_TXT})
    (raw / "locked").mkdir()
    (raw / "locked" / "page.txt").write_text("看不到的頁面。\n")
    summary = run([raw], tmp_path / "out", quiet=True)
    frames = pipeline.load(str(tmp_path / "out"))
    (row,) = frames["errors"].itertuples()
    assert (row.source, row.kind) == ("locked/", "unreadable") and row.message.startswith("locked/: ")
    assert summary.problems == 1 and list(frames["documents"].doc_id) == ["good"]


def test_an_input_replaced_during_the_run_is_recorded_and_not_hashed(tmp_path, monkeypatch):
    raw = _folder(tmp_path, {"dump.xml": VIWIKI.read_bytes()})
    real_read = read_module.read_file  # called by read.read_piece, in the map stage

    def read_then_replace(f, *args, **kwargs):
        for n, item in enumerate(real_read(f, *args, **kwargs)):
            if n == 1:  # a new dump lands while the old one is being read
                (tmp_path / "new.xml").write_bytes(VIWIKI.read_bytes().replace(b"Ohio", b"OHIO"))
                os.replace(tmp_path / "new.xml", raw / "dump.xml")
            yield item

    monkeypatch.setattr(read_module, "read_file", read_then_replace)
    run([raw], tmp_path / "out", quiet=True)
    frames = pipeline.load(str(tmp_path / "out"))
    (row,) = _errors(frames, "dump.xml").query("kind == 'input-changed'").itertuples()
    assert row.message.startswith("dump.xml: the file changed while the run read it")
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["inputs"] == [{"source": "dump.xml", "sha256": None, "bytes": None}]


# -- the command line: exit codes ----------------------------------------------------------

def _cli(*args):
    return subprocess.run([sys.executable, "-m", "pipeline", "run", "--no-cache", *args],
                          cwd=ROOT, capture_output=True, text=True)


def test_cli_finishes_with_problems_and_strict_fails(tmp_path):
    raw = _folder(tmp_path, {"empty.txt": b"", "bin.dat": b"\x00\x01\x02\x03",
                             "good.txt": GOOD_TXT})
    proc = _cli("--raw", str(raw), "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    assert "empty.txt: file is empty" in proc.stderr and "bin.dat: binary file" in proc.stderr
    frames = pipeline.load(str(tmp_path / "out"))
    assert sorted(frames["errors"].source) == ["bin.dat", "empty.txt"]
    assert list(frames["documents"].doc_id) == ["good"]
    strict = _cli("--raw", str(raw), "--out", str(tmp_path / "out2"), "--strict", "--quiet")
    assert strict.returncode == 1
    (tmp_path / "c").mkdir()
    clean = _folder(tmp_path / "c", {"good.txt": GOOD_TXT})
    assert _cli("--raw", str(clean), "--out", str(tmp_path / "out3"), "--strict", "--quiet").returncode == 0


def test_cli_no_inputs_exits_2_with_one_line(tmp_path):
    (tmp_path / "none").mkdir()
    for raw in (tmp_path / "none", tmp_path / "missing"):
        proc = _cli("--raw", str(raw), "--out", str(tmp_path / "out"))
        assert proc.returncode == 2
        assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("pipeline: cannot run: ")


def test_cli_unwritable_output_exits_2_with_one_line(tmp_path):
    # Tests may run as root, where a read-only directory is still writable: put the output
    # under a regular file instead, which nobody can create a folder in.
    (tmp_path / "file.txt").write_text("x")
    raw = _folder(tmp_path, {"good.txt": GOOD_TXT})
    proc = _cli("--raw", str(raw), "--out", str(tmp_path / "file.txt" / "out"))
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("pipeline: cannot write output")


# -- decompression bombs: memory stays bounded -----------------------------------------------

def _bomb(unit: bytes, compressor) -> bytes:
    """1 GiB of `unit` repeated, compressed to a few kB: 16 MiB compressed chunk by chunk into
    one stream, that stream 64 times (bz2 and gzip readers, ours too, read concatenated
    streams as one file). Made here, never stored; compressing 1 GiB itself would take ~15 s."""
    c = compressor()
    chunk = unit * ((1 << 20) // len(unit))
    stream = b"".join(c.compress(chunk) for _ in range(16 * (1 << 20) // len(chunk))) + c.flush()
    return stream * 64


_BOMB_RUN = r"""
import re, resource, sys
from pathlib import Path
from pipeline.read import InputFile, read_file
# A cap, so that a reader that reads the whole bomb fails here instead of taking the machine's
# memory: 1 GiB of address space, against 1 GiB of decompressed bytes.
resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
path = Path(sys.argv[1])
print(*[getattr(r, "kind", type(r).__name__) for r in read_file(InputFile(path, path.name))])
# Peak resident memory of this process (ru_maxrss would include pytest's: it survives exec).
print(int(re.search("VmHWM:\s*(\d+) kB", Path("/proc/self/status").read_text())[1]) // 1024)
"""


@pytest.mark.skipif(sys.platform != "linux", reason="/proc and RLIMIT_AS are Linux's")
@pytest.mark.parametrize("name, unit, compressor, kind", [
    ("zeros.bz2", b"\0", bz2.BZ2Compressor, "binary-file"),
    ("text.bz2", "字\n".encode(), bz2.BZ2Compressor, "too-large"),
    ("zeros.gz", b"\0", lambda: zlib.compressobj(wbits=31), "binary-file"),
])
def test_decompression_bomb_takes_bounded_memory(tmp_path, name, unit, compressor, kind):
    path = tmp_path / name
    path.write_bytes(_bomb(unit, compressor))
    proc = subprocess.run([sys.executable, "-c", _BOMB_RUN, str(path)], cwd=ROOT,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    kinds, peak_mib = proc.stdout.splitlines()
    assert kinds == kind
    # NUL bytes are seen in the first 64 kB; text is read up to MAX_DOCUMENT (64 MiB) only.
    assert int(peak_mib) < 400, peak_mib


_INDEX_BOMB_RUN = r"""
import re, resource, sys
from pathlib import Path
resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))  # as _BOMB_RUN
from pipeline.plan import plan
from pipeline.read import discover
print(*[n.kind for s in plan(*discover([Path(sys.argv[1])])[:2]).shards for n in s.notes])
print(int(re.search("VmHWM:\s*(\d+) kB", Path("/proc/self/status").read_text())[1]) // 1024)
"""


@pytest.mark.skipif(sys.platform != "linux", reason="/proc and RLIMIT_AS are Linux's")
def test_a_multistream_index_bomb_takes_bounded_memory(tmp_path):
    """The index beside a multistream dump is read line by line: 1 GiB of digits with no newline
    was one line, read whole (MemoryError under the cap, a traceback and exit 1; about 2 GB
    without it)."""
    (tmp_path / "x-multistream-index.txt.bz2").write_bytes(_bomb(b"1", bz2.BZ2Compressor))
    (tmp_path / "x-multistream.xml.bz2").write_bytes(bz2.compress(b"<mediawiki></mediawiki>\n"))
    proc = subprocess.run([sys.executable, "-c", _INDEX_BOMB_RUN, str(tmp_path)], cwd=ROOT,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    kinds, peak_mib = proc.stdout.splitlines()
    assert kinds == "bad-multistream-index"  # the dump is read whole, with this row
    assert int(peak_mib) < 400, peak_mib
