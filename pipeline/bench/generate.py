"""Benchmark dumps: the shared material in, a zhwiki-like `.xml.bz2` dump and its update out.

In: the real pages in `../shared/corpus/wikitext/` and the 300 generated articles in
`../shared/bench/synth-sample.wikitext` (records separated by the byte 0x1E), a size in MB
(10^6 bytes of wikitext) and a seed. Out, in the output folder:
- `dump-<mb>mb.xml.bz2`: a MediaWiki export (schema 0.11, `<dbname>zhwiki</dbname>`) whose ns 0
  pages hold at least that much wikitext, plus redirects (about one per eight articles) and a
  few category pages (ns 14);
- `update/dump-<mb>mb.xml.bz2`: the "next month" dump, under the same file name (as a user who
  replaces `zhwiki-latest-pages-articles.xml.bz2` has it; a new name would work as well, the cache
  key leaves the file name out): 5% of the articles changed (new revision
  id and timestamp), 1% removed, 1% added at the end with new ids; all other pages identical;
- `dump-<mb>mb.json`: what was generated (pages, bytes, seed, a digest of generator + material),
  so a later call reuses the files instead of regenerating them.

Pages are recombinations, not copies: page i takes the lead of a base article (bold title,
infobox name replaced by a unique title), sections drawn from other articles, and every prose
paragraph's sentences shuffled with one sentence spliced in from elsewhere; list items are
swapped for items from other lists. Identical pages would make dedup and caching look cheaper
than they are on a real dump. Each page depends only on (seed, index), so a smaller dump is a
prefix of a larger one with the same seed. Both dumps are written in one streaming pass:
memory holds the material (a few MB), never the dump.
"""

from __future__ import annotations

import bz2
import hashlib
import json
import os
import random
import re
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("BENCH_SHARED", REPO / ".." / "shared"))
SEED = 7
REDIRECT_RATE = 0.12
CATEGORY_PAGE_RATE = 0.01
CHANGED, REMOVED, ADDED = 0.05, 0.01, 0.01
TAIL_SECTIONS = {"参考文献", "参考资料", "外部链接", "外部連結", "註釋", "注释", "参见", "參見", "相關條目"}

_SECTION = re.compile(r"(?m)^(?===[^=].*==\s*$)")
_BOLD = re.compile(r"'''(.+?)'''")
_LINK_WORD = re.compile(r"\[\[([\u4e00-\u9fff]{2,6})(?:\||\]\])")
_PAIRS = (("[[", "]]"), ("{{", "}}"), ("-{", "}-"), ("<!--", "-->"))


@dataclass(frozen=True)
class Article:
    title: str
    head: str  # everything before the first level-2 heading
    body: tuple[str, ...]  # level-2 sections, each starting with its heading line
    tail: str  # reference/link sections, navboxes and categories


class Material:
    """The shared pages, cut into the parts a generated page is recombined from."""

    def __init__(self, shared: Path = SHARED):
        synth = shared / "bench" / "synth-sample.wikitext"
        real_dir = shared / "corpus" / "wikitext"
        if not real_dir.is_dir():
            real_dir = REPO / "tests" / "data" / "corpus" / "wikitext"
        if not synth.is_file():
            raise SystemExit(
                f"bench: material not found: {synth.resolve() if synth.parent.exists() else synth}\n"
                "The benchmark needs the shared folder next to the repository (../shared/bench/"
                "synth-sample.wikitext and ../shared/corpus/wikitext/); set BENCH_SHARED=/path/to/shared.")
        texts = [t for t in synth.read_bytes().decode("utf-8").split("\x1e") if t.strip()]
        texts += [p.read_text("utf-8") for p in sorted(real_dir.glob("*.wikitext"))]
        h = hashlib.sha256(Path(__file__).read_bytes())
        for t in texts:
            h.update(t.encode())
        self.digest = h.hexdigest()[:16]
        self.articles = [_cut(t) for t in texts]
        lines = [line for a in self.articles for s in a.body for line in s.split("\n")]
        self.sentences = [s for line in lines if _is_prose(line) for s in _sentences(line)]
        # Clauses (up to a ，) of the sentences: list items are recombined from them.
        self.clauses = [c for s in self.sentences for c in _sentences(s, "，") if len(c) > 4]
        words = sorted({w for t in texts for w in _LINK_WORD.findall(t)})
        random.Random(SEED).shuffle(words)
        self.words = words
        seen: set[str] = set()
        for n, a in enumerate(self.articles):  # titles must be distinct: a dump's titles are
            title = a.title
            while title in seen:
                title += words[n % len(words)]
            seen.add(title)
            self.articles[n] = Article(title, a.head, a.body, a.tail)


def _cut(text: str) -> Article:
    head, *sections = _SECTION.split(text.replace("\r\n", "\n"))
    body = [s for s in sections if _heading(s) not in TAIL_SECTIONS]
    tail = "".join(s for s in sections if _heading(s) in TAIL_SECTIONS)
    if not tail and body:  # categories and navboxes sit at the end of the last section
        last = body[-1]
        cut = last.find("\n{{")
        body[-1], tail = (last[:cut + 1], last[cut + 1:]) if cut > 0 else (last, "")
    m = _BOLD.search(head)
    title = re.sub(r"[\[\]{}|'<>（）()]", "", m.group(1)).strip() if m else ""
    return Article(title or head.strip()[:6], head, tuple(body), tail)


def _heading(section: str) -> str:
    return section.split("\n", 1)[0].strip("= \t")


def _is_prose(line: str) -> bool:
    return len(line) > 20 and line[:1] not in "{|!*#:;=<[}" and "。" in line


def _sentences(line: str, mark: str = "。") -> list[str]:
    """Split after each `mark` that is outside links, templates, -{…}-, comments and refs."""
    out, start = [], 0
    for i, ch in enumerate(line):
        if ch != mark:
            continue
        prefix = line[start:i]
        if all(prefix.count(a) == prefix.count(b) for a, b in _PAIRS) and \
                prefix.count("<ref") - prefix.count("/>") == prefix.count("</ref>"):
            out.append(line[start:i + 1])
            start = i + 1
    rest = line[start:]
    if rest.strip():
        if out:
            out[-1] += rest
        else:
            out.append(rest)
    return out


class Pages:
    """Page i of the dump, as (title, wikitext); depends only on (seed, i)."""

    def __init__(self, material: Material, seed: int = SEED):
        self.m = material
        self.seed = seed
        self.order = list(range(len(material.articles)))
        random.Random(seed).shuffle(self.order)

    def title(self, i: int) -> str:
        base = self.m.articles[self.order[i % len(self.order)]].title
        cycle = i // len(self.order)
        if cycle == 0:
            return base
        words = self.m.words
        word = words[(cycle - 1) % len(words)]
        rounds = (cycle - 1) // len(words)
        return f"{base}（{word}{rounds + 1 if rounds else ''}）"

    def text(self, i: int, variant: int = 0) -> str:
        """The page's wikitext; variant > 0 is the same page edited (for the update dump)."""
        rng = random.Random(f"{self.seed}:{i}")
        arts = self.m.articles
        base = arts[self.order[i % len(self.order)]]
        title = self.title(i)
        head = _BOLD.sub(lambda _: f"'''{title}'''", base.head, count=1)
        head = re.sub(r"(?m)^(\| *name *= *).*$", lambda mt: mt.group(1) + title, head, count=1)
        n = max(1, len(base.body) + rng.randint(-2, 2))
        sections = []
        for k in range(n):
            if k < len(base.body) and rng.random() < 0.4:
                sections.append(self._mutate(base.body[k], rng))  # the base's own section
            else:
                src = rng.choice(arts)
                if src.body:
                    sections.append(self._mutate(rng.choice(src.body), rng))
        if variant:
            edit = random.Random(f"{self.seed}:{i}:edit{variant}")
            k = edit.randrange(len(sections)) if sections else 0
            extra = " ".join(edit.choice(self.m.sentences) for _ in range(edit.randint(1, 3)))
            if sections:
                sections[k] = self._mutate(sections[k], edit) + "\n" + extra + "\n\n"
            else:
                head += "\n" + extra + "\n"
        return head + "".join(sections) + base.tail

    def _mutate(self, section: str, rng: random.Random) -> str:
        out = []
        for line in section.split("\n"):
            if _is_prose(line):
                parts = _sentences(line)
                rng.shuffle(parts)
                parts.insert(rng.randint(0, len(parts)), rng.choice(self.m.sentences))
                if len(parts) > 2 and rng.random() < 0.5:
                    parts.pop(rng.randrange(len(parts)))
                line = "".join(parts)
            elif line[:1] in "*#:" and len(line) > 6:
                # An item keeps its marker and first clause and gets the end of another one.
                marker = re.match(r"[*#:;]+ *", line).group(0)
                first = _sentences(line[len(marker):], "，")[0]
                line = marker + first.rstrip("，。") + "，" + rng.choice(self.m.clauses)
            out.append(line)
        text = "\n".join(out)
        return text if text.endswith("\n") else text + "\n"


SITEINFO = """<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.11/" \
xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" \
xsi:schemaLocation="http://www.mediawiki.org/xml/export-0.11/ http://www.mediawiki.org/xml/export-0.11.xsd" \
version="0.11" xml:lang="zh">
  <siteinfo>
    <sitename>Wikipedia</sitename>
    <dbname>zhwiki</dbname>
    <base>https://zh.wikipedia.org/wiki/Wikipedia:%E9%A6%96%E9%A1%B5</base>
    <generator>MediaWiki 1.43.0-wmf.1</generator>
    <case>first-letter</case>
    <namespaces>
      <namespace key="-1" case="first-letter">Special</namespace>
      <namespace key="0" case="first-letter" />
      <namespace key="1" case="first-letter">Talk</namespace>
      <namespace key="4" case="first-letter">Wikipedia</namespace>
      <namespace key="6" case="first-letter">File</namespace>
      <namespace key="10" case="first-letter">Template</namespace>
      <namespace key="14" case="first-letter">Category</namespace>
    </namespaces>
  </siteinfo>
"""


def _sha1_base36(data: bytes) -> str:
    n, digits, out = int(hashlib.sha1(data).hexdigest(), 16), "0123456789abcdefghijklmnopqrstuvwxyz", ""
    while n:
        n, r = divmod(n, 36)
        out = digits[r] + out
    return out.rjust(31, "0")


def _page_xml(title: str, ns: int, page_id: int, rev_id: int, timestamp: str, text: str,
              redirect: str | None = None) -> bytes:
    data = text.encode("utf-8")
    redirect_xml = f"    <redirect title={quoteattr(redirect)} />\n" if redirect else ""
    return (
        f"  <page>\n    <title>{escape(title)}</title>\n    <ns>{ns}</ns>\n    <id>{page_id}</id>\n"
        f"{redirect_xml}    <revision>\n      <id>{rev_id}</id>\n      <parentid>{rev_id - 17}</parentid>\n"
        f"      <timestamp>{timestamp}</timestamp>\n      <contributor>\n        <username>Bench{rev_id % 97}"
        f"</username>\n        <id>{rev_id % 100003}</id>\n      </contributor>\n"
        f"      <model>wikitext</model>\n      <format>text/x-wiki</format>\n"
        f"      <text bytes=\"{len(data)}\" xml:space=\"preserve\">{escape(text)}</text>\n"
        f"      <sha1>{_sha1_base36(data)}</sha1>\n    </revision>\n  </page>\n"
    ).encode("utf-8")


def _timestamp(rng: random.Random, month: int) -> str:
    return f"2024-{month:02d}-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:" \
           f"{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}Z"


def generate(out: Path, mb: float, seed: int = SEED, material: Material | None = None,
             log=print) -> dict:
    """Write (or reuse) the dump of `mb` MB of wikitext and its update; return their description."""
    out.mkdir(parents=True, exist_ok=True)
    name = f"dump-{mb:g}mb"
    meta_path = out / f"{name}.json"
    material = material or Material()
    if meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if meta.get("digest") == material.digest and meta.get("seed") == seed and \
                all((out / meta[k]["file"]).exists() for k in ("dump", "update")):
            log(f"bench: reusing {out / meta['dump']['file']}")
            return meta
    log(f"bench: generating {name}.xml.bz2 ({mb:g} MB of wikitext) and its update …")
    pages = Pages(material, seed)
    target = int(mb * 1_000_000)
    (out / "update").mkdir(exist_ok=True)
    base_tmp, upd_tmp = out / f".{name}.xml.bz2.tmp", out / "update" / f".{name}.xml.bz2.tmp"
    stats = {k: {"articles": 0, "redirects": 0, "other_ns": 0, "wikitext_bytes": 0, "article_bytes": 0}
             for k in ("dump", "update")}
    stats["update"].update(changed=0, removed=0, added=0)

    def put(f, key: str, ns: int, text: str, page_xml: bytes, is_redirect: bool = False) -> None:
        f.write(page_xml)
        s = stats[key]
        size = len(text.encode("utf-8"))
        if ns != 0:
            s["other_ns"] += 1
            return
        s["wikitext_bytes"] += size
        if is_redirect:
            s["redirects"] += 1
        else:
            s["articles"] += 1
            s["article_bytes"] += size

    with bz2.open(base_tmp, "wb", 9) as base_f, bz2.open(upd_tmp, "wb", 9) as upd_f:
        for f in (base_f, upd_f):
            f.write(SITEINFO.encode("utf-8"))
        page_id, rev_id, i = 100, 80_000_000, 0
        while stats["dump"]["wikitext_bytes"] < target:
            rng = random.Random(f"{seed}:ids:{i}")
            page_id += rng.randint(1, 4)
            rev_id += rng.randint(1, 50)
            title, text = pages.title(i), pages.text(i)
            xml = _page_xml(title, 0, page_id, rev_id, _timestamp(rng, 1), text)
            put(base_f, "dump", 0, text, xml)
            fate = random.Random(f"{seed}:fate:{i}").random()
            if fate < REMOVED:
                stats["update"]["removed"] += 1
            elif fate < REMOVED + CHANGED:
                new = pages.text(i, variant=1)
                put(upd_f, "update", 0, new,
                    _page_xml(title, 0, page_id, rev_id + 90_000_000, _timestamp(rng, 2), new))
                stats["update"]["changed"] += 1
            else:
                put(upd_f, "update", 0, text, xml)
            extra = rng.random()
            if extra < REDIRECT_RATE:
                page_id += 1
                alias = f"{title} ({rng.choice(material.words)})"
                word = rng.choice(("#REDIRECT", "#重定向"))
                red = f"{word} [[{title}]]"
                xml = _page_xml(alias, 0, page_id, rev_id + 1, _timestamp(rng, 1), red, redirect=title)
                put(base_f, "dump", 0, red, xml, is_redirect=True)
                if fate >= REMOVED:
                    put(upd_f, "update", 0, red, xml, is_redirect=True)
            elif extra < REDIRECT_RATE + CATEGORY_PAGE_RATE:
                page_id += 1
                cat = f"{rng.choice(material.words)}{i}"
                body = f"{rng.choice(material.sentences)}\n\n[[Category:{rng.choice(material.words)}]]"
                xml = _page_xml(f"Category:{cat}", 14, page_id, rev_id + 2, _timestamp(rng, 1), body)
                put(base_f, "dump", 14, body, xml)
                put(upd_f, "update", 14, body, xml)
            i += 1
        added = max(1, round(stats["dump"]["articles"] * ADDED))
        for k in range(added):
            page_id += 3
            rev_id += 7
            j = i + k
            text = pages.text(j)
            put(upd_f, "update", 0, text,
                _page_xml(pages.title(j), 0, page_id, rev_id + 90_000_000,
                          _timestamp(random.Random(f"{seed}:ids:{j}"), 2), text))
        stats["update"]["added"] = added
        for f in (base_f, upd_f):
            f.write(b"</mediawiki>\n")
    base_tmp.replace(out / f"{name}.xml.bz2")
    upd_tmp.replace(out / "update" / f"{name}.xml.bz2")
    meta = {"mb": mb, "seed": seed, "digest": material.digest,
            "material": {"articles": len(material.articles), "sentences": len(material.sentences),
                         "clauses": len(material.clauses)},
            "dump": {"file": f"{name}.xml.bz2", **stats["dump"],
                     "compressed_bytes": (out / f"{name}.xml.bz2").stat().st_size},
            "update": {"file": f"update/{name}.xml.bz2", **stats["update"],
                       "compressed_bytes": (out / "update" / f"{name}.xml.bz2").stat().st_size}}
    meta_path.write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n")
    return meta
