"""Run: input paths and options in, the output folder written, a Summary out.

The per-page chain (parse -> normalise -> extract) is pure and runs in `process_page`; a page
whose chain raises becomes an `errors` row (stage named) and the run goes on. Dedup is the one
cross-document pass and sees pages in input order. Nothing here touches argv.
"""

from __future__ import annotations

import hashlib
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path

from . import __version__
from .dedup import dedup
from .extract import extract
from .model import DocResult, Problem, RawPage, Redirect
from .normalise import normalise_document
from .parse import parse
from .progress import Progress
from .read import discover, read_file
from .readers.xmldump import SkippedNamespace
from .write import OutputWriter

PACKAGES = ("mwparserfromhell", "opencc", "jieba", "pandas", "pyarrow", "markdown-it-py", "mdit-py-plugins")


@dataclass(frozen=True)
class Options:
    variant: str = "zh-hans"
    namespaces: frozenset[int] = frozenset({0})


@dataclass
class Summary:
    documents: int = 0
    paragraphs: int = 0
    duplicates: int = 0
    tables: int = 0
    members: int = 0
    links: int = 0
    redirects: int = 0
    problems: int = 0
    skipped_files: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [
            f"documents   {self.documents}",
            f"paragraphs  {self.paragraphs} kept, {self.duplicates} duplicates",
            f"tables      {self.tables}",
            f"members     {self.members}",
            f"links       {self.links}",
            f"redirects   {self.redirects}",
            f"problems    {self.problems}" + (" (see errors.parquet)" if self.problems else ""),
        ]


def process_page(page: RawPage, options: Options) -> DocResult | Problem:
    """parse -> normalise -> extract for one page; a failure is a Problem naming its stage."""
    stage = "parse"
    try:
        doc = parse(page)
        stage = "normalise"
        doc = normalise_document(doc, options.variant)
        stage = "extract"
        return extract(doc), doc.dropped_templates
    except RecursionError:
        return Problem(page.source, page.doc_id, stage, "too-deep",
                       f"{page.source}: {page.title or page.doc_id}: markup nested too deeply to {stage}")
    except Exception as e:  # a bug in a stage: record it, keep going with the next page
        return Problem(page.source, page.doc_id, stage, f"{stage}-error",
                       f"{page.source}: {page.title or page.doc_id}: {type(e).__name__}: {e}")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def run(paths: list[Path], out: Path, options: Options = Options(), quiet: bool = False) -> Summary:
    files, skipped = discover(paths)
    if not files:
        raise FileNotFoundError("no input files under " + ", ".join(map(str, paths)))
    started = time.time()
    writer = OutputWriter(out)
    summary = Summary(skipped_files=skipped)
    dropped: Counter[str] = Counter()
    skipped_ns: Counter[str] = Counter()
    progress = Progress(total_files=len(files), quiet=quiet)

    def results() -> Iterator[DocResult]:
        for f in files:
            progress.file(f.source)
            for item in read_file(f, options.namespaces):
                if isinstance(item, Problem):
                    _problem(item)
                elif isinstance(item, Redirect):
                    summary.redirects += 1
                    writer.add("redirects", [asdict(item)])
                elif isinstance(item, SkippedNamespace):
                    skipped_ns[f"{item.source} ns={item.namespace}"] += item.pages
                else:
                    done = process_page(item, options)
                    progress.page()
                    if isinstance(done, Problem):
                        _problem(done)
                    else:
                        result, templates = done
                        dropped.update(dict(templates))
                        yield result

    def _problem(p: Problem) -> None:
        summary.problems += 1
        progress.say(f"problem: {p.message}")
        writer.add("errors", [asdict(p)])

    try:
        for result, dups in dedup(results()):
            summary.documents += 1
            summary.paragraphs += len(result.paragraphs)
            summary.duplicates += len(dups)
            summary.tables += len(result.tables)
            summary.members += len(result.members)
            summary.links += len(result.links)
            writer.add("documents", [result.document])
            writer.add("paragraphs", result.paragraphs)
            writer.add("duplicates", dups)
            for name in ("tables", "table_cells", "members", "links", "infobox"):
                writer.add(name, getattr(result, name))
            for index, columns, rows in result.wide_tables:
                writer.add_wide_table(result.doc_id, index, columns, rows)
        progress.close()
        writer.commit(_manifest(files, skipped, options, writer.counts, dropped, skipped_ns, started))
    except BaseException:
        writer.abort()
        raise
    return summary


def _manifest(files, skipped, options: Options, counts, dropped: Counter, skipped_ns: Counter,
              started: float) -> dict:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "pipeline_version": __version__,
        "python": sys.version.split()[0],
        "packages": versions,
        "options": {"variant": options.variant, "namespaces": sorted(options.namespaces)},
        "inputs": [{"source": f.source, "sha256": _sha256(f.path), "bytes": f.path.stat().st_size}
                   for f in files],
        "skipped_files": skipped,
        "skipped_namespaces": dict(sorted(skipped_ns.items())),
        "rows": counts,
        "dropped_templates": dict(sorted(dropped.items(), key=lambda kv: (-kv[1], kv[0]))),
        "seconds": round(time.time() - started, 3),
    }
