"""Cache keys: what determines a page's outcome, hashed (the cache itself is pagecache.py).

In: a RawPage and the options token. Out: `page_key`, which hashes the page's text and
metadata, the options that change a page's rows (variant, near-duplicate settings), the
pipeline version, the versions of its dependencies and a digest of the package's own source, so
a code or dictionary change can never serve stale rows and nobody has to remember to bump a
number. Timeouts and crashes are not cached (see pages.TRANSIENT).
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from . import __version__
from .model import RawPage



@lru_cache(maxsize=1)
def dependency_versions() -> dict[str, str | None]:
    """The installed version of every declared dependency (OpenCC's dictionaries, jieba's,
    CLDR's names all change rows)."""
    versions: dict[str, str | None] = {}
    for req in metadata.requires("pipeline") or []:
        if "extra ==" in req:
            continue
        name = re.split(r"[<>=!~;\[ ]", req, maxsplit=1)[0]
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return dict(sorted(versions.items()))


@lru_cache(maxsize=1)
def code_digest() -> str:
    """The package's own code (not the benchmark harness) and its dependencies' versions."""
    root = Path(__file__).parent
    h = hashlib.sha256(__version__.encode())
    h.update(repr(dependency_versions()).encode())
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        if rel.startswith("bench/"):
            continue
        h.update(rel.encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def page_key(page: RawPage, options_token: str) -> str:
    h = hashlib.sha256()
    # Not the file name: next month's dump has a new name and the same pages.
    for part in (code_digest(), options_token, page.doc_id, page.format, page.title or "",
                 repr(page.meta), page.text):
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    return h.hexdigest()
