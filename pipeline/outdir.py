"""The output folder: what the pipeline may create, replace and remove there, and nothing else.

In: the `--out` folder, and names that come from the data (doc ids built from a dump's
`<dbname>`, page ids, input file names). Out: safe relative paths, a lock, and the list of files a
previous run wrote. Three rules:

- **Data never steers a path.** A wide table's file name is built from the doc id part by part:
  each part keeps letters, digits (any script), `_ - . ~`, everything else becomes `_`; empty,
  `.` and `..` parts become `_`; a part longer than `MAX_PART_BYTES` is cut; a part that had to
  change is given a hash of the original, so two ids never share a name. The writer also checks that the resolved
  path lies inside its folder (`inside`).
- **One run per folder.** `lock` takes an exclusive `flock` on `OUT/.lock` for the whole run; a
  second run into the same folder stops at once with a one-line reason (exit 2). The lock dies
  with its process, even on SIGKILL.
- **Only the tool's own files are replaced.** Before a run starts, every file under `csv/` and
  `tables/` and every top-level output must be one a previous run listed (its manifest's `files`,
  plus the `wide_csv` paths in its `tables.parquet`); otherwise the run refuses (`OutputConflict`,
  exit 2) rather than delete a user's folder.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
from pathlib import Path

MAX_PART_BYTES = 120  # well under NAME_MAX (255 bytes on Linux/macOS file systems) with "__N.csv"
_UNSAFE = re.compile(r"[^\w\-.~]")  # \w is Unicode: Han, kana, Latin letters and digits stay
OWN_FOLDERS = ("csv", "tables")


class OutputConflict(Exception):
    """The output folder holds something this run must not touch; the message says what."""


def safe_part(part: str) -> str:
    """One path component built from data: no separators, no '..', bounded length. A part that
    had to change gets a hash of the original, so `a:b` and `a_b` do not share a file."""
    safe = _UNSAFE.sub("_", part)
    if safe in ("", ".", ".."):
        safe = "_"
    if safe == part and len(safe.encode("utf-8")) <= MAX_PART_BYTES:
        return part
    digest = hashlib.sha256(part.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    cut = safe.encode("utf-8")[: MAX_PART_BYTES - 13].decode("utf-8", "ignore")
    return f"{cut}-{digest}"


def wide_csv_path(doc_id: str, index: int) -> str:
    """`tables/<doc_id>__<index>.csv`, with every part of the doc id made safe."""
    parts = [safe_part(p) for p in doc_id.split("/")]
    parts[-1] = safe_part(f"{parts[-1]}__{index}") + ".csv"
    return "/".join(["tables", *parts])


def inside(folder: Path, path: Path) -> bool:
    """Whether `path` resolves to a place under `folder` (symlinks followed)."""
    return path.resolve().is_relative_to(folder.resolve())


class Lock:
    """An exclusive lock on the output folder, held while the run writes there."""

    def __init__(self, out: Path):
        self.path = out / ".lock"
        self.file = open(self.path, "a+")
        try:
            fcntl.flock(self.file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.file.seek(0)
            holder = self.file.read().strip() or "another process"
            self.file.close()
            raise OutputConflict(f"another run (pid {holder}) is writing to {out}/; wait for it to "
                                 "finish or choose another --out") from None
        self.file.seek(0)
        self.file.truncate()
        self.file.write(str(os.getpid()))
        self.file.flush()

    def release(self) -> None:
        if not self.file.closed:
            fcntl.flock(self.file, fcntl.LOCK_UN)
            self.file.close()


def previous_files(out: Path) -> set[str] | None:
    """What the last complete run in `out` wrote (paths relative to `out`), or None if no run
    of ours left a manifest there."""
    try:
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict) or "pipeline_version" not in manifest:
        return None
    files = set(manifest.get("files") or []) | {"manifest.json"}
    if len(files) == 1:  # a manifest from before the list existed: its fixed names
        from .schemas import SCHEMAS

        files |= {f"{n}.parquet" for n in SCHEMAS} | {f"csv/{n}.csv" for n in SCHEMAS}
    import pyarrow.parquet as pq

    folder = out / "tables.parquet"
    # Part by part (or the one file an older release wrote), not pq.read_table: that goes
    # through pyarrow.dataset, whose import pulls in pandas (0.25 s of every rerun's start).
    for part in sorted(folder.glob("part-*.parquet")) if folder.is_dir() else [folder]:
        try:
            files.update(x for x in pq.ParquetFile(part).read(columns=["wide_csv"])
                         .column("wide_csv").to_pylist() if x)
        except Exception:  # an unreadable part: then no wide table of its is known
            pass
    return files


def check_ownership(out: Path, outputs: list[str]) -> None:
    """Refuse to run when replacing the outputs would remove a file the tool did not write.

    `outputs` are the top-level names a run writes (e.g. `documents.parquet`)."""
    ours = previous_files(out)
    known = ours or set()
    strangers: list[str] = []
    for name in outputs:
        if (out / name).exists() and name not in known:
            strangers.append(name)
    for folder in OWN_FOLDERS:
        base = out / folder
        if not base.exists():
            continue
        if not base.is_dir() or base.is_symlink():
            strangers.append(folder)
            continue
        for dirpath, _, names in os.walk(base):
            for name in names:
                rel = (Path(dirpath) / name).relative_to(out).as_posix()
                if rel not in known:
                    strangers.append(rel)
                    break
            if len(strangers) > 3:
                break
    if strangers:
        shown = ", ".join(strangers[:3]) + (" …" if len(strangers) > 3 else "")
        raise OutputConflict(f"{out}/ holds files this tool did not write ({shown}); a run would "
                             "replace them: move them away or choose another --out")
