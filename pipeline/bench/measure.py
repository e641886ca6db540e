"""Measure one command: argv in, wall time, CPU time and peak memory from the OS out.

Each command runs as a child process that this module reaps with `os.wait4(pid)`, which returns
the rusage of that child alone (and of its own descendants it waited for), never of earlier
children (the trap of `getrusage(RUSAGE_CHILDREN)`): user + system CPU include the command's
worker processes. Peak RSS (the largest single process) comes from `/usr/bin/time -f %M`
wrapped around the command when it exists (apt package `time`), because a child forked from this
Python process starts out with this process's RSS and wait4's ru_maxrss would report that for a
small command; without it, wait4's ru_maxrss is used. A sampler thread also sums the proportional set size
(PSS, /proc/<pid>/smaps_rollup; RSS where unavailable) over the command's process tree every
0.2 s: with `--jobs 2` that is the memory of parent plus workers, shared pages counted once.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

PAGE = os.sysconf("SC_PAGE_SIZE")
TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None


@dataclass
class Measured:
    wall: float  # seconds
    cpu: float  # user + system seconds, the command and its waited-for children
    maxrss_mb: float  # largest single process (kernel's ru_maxrss)
    tree_mb: float  # peak sampled PSS summed over the process tree
    coordinator_cpu: float  # user + system seconds of the run's main process alone (last sample)
    returncode: int
    stdout: str
    stderr: str

    def as_dict(self) -> dict:
        d = asdict(self)
        d["stdout"], d["stderr"] = self.stdout[-2000:], self.stderr[-2000:]
        return d


def run(argv: list[str], cwd: Path | None = None, env: dict | None = None) -> Measured:
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile("r") as timed:
        if TIME:  # the command's own peak, not that of a fork of this (larger) process
            argv = [TIME, "-f", "%M", "-o", timed.name, *argv]
        started = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        peak = [0.0, 0.0]  # tree PSS bytes, coordinator CPU seconds
        done = threading.Event()
        sampler = threading.Thread(target=_sample_tree, args=(proc.pid, peak, done, bool(TIME)), daemon=True)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        done.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
        stdout, stderr = _read(out), _read(err)
        maxrss_kb = usage.ru_maxrss
        if TIME:
            last = (timed.read().strip().splitlines() or [""])[-1]
            maxrss_kb = int(last) if last.isdigit() else maxrss_kb
    return Measured(round(wall, 3), round(usage.ru_utime + usage.ru_stime, 3),
                    round(maxrss_kb / 1024, 1), round(peak[0] / 2**20, 1), round(peak[1], 3),
                    proc.returncode, stdout, stderr)


def _read(f) -> str:
    f.seek(0)
    return f.read().decode("utf-8", "replace")


def _sample_tree(root: int, peak: list[float], done: threading.Event, wrapped: bool) -> None:
    """Every 0.1 s: the tree's summed PSS, and the CPU the coordinator (the command itself, or
    the child of /usr/bin/time) has used of its own, not counting its workers. The last sample
    can miss up to 0.1 s of it."""
    while not done.wait(0.1):
        tree = _tree(root)
        total = sum(_memory(pid) for pid in tree)
        peak[0] = max(peak[0], total)
        coordinator = tree[1] if wrapped and len(tree) > 1 else root
        peak[1] = max(peak[1], _own_cpu(coordinator))


def _own_cpu(pid: int) -> float:
    """utime + stime of one process (not of its children), from /proc/<pid>/stat."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat.rsplit(b")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, ()))
    return found


def _memory(pid: int) -> int:
    """Bytes: PSS if the kernel reports it, else RSS; 0 for a process that is gone."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as f:
            for line in f:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        with open(f"/proc/{pid}/statm", "rb") as f:
            return int(f.read().split()[1]) * PAGE
    except OSError:
        return 0
