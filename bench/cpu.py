"""CPU seconds of the platform's processes, read from /proc (Linux), so that a benchmark can say
what each process spent per command.

A process's figure is its own user + system time plus what its reaped children spent (cutime,
cstime) plus what its live children spend now: PostgreSQL's backends come and go under the
postmaster, and a backend that ends between two samples moves from "live child" to the
postmaster's reaped figure, so the difference of two samples still counts it once.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")
PROC = Path("/proc")


@dataclass(frozen=True)
class Stat:
    pid: int
    ppid: int
    own: float  # seconds: utime + stime
    reaped: float  # seconds: cutime + cstime


def stat(pid: int) -> Stat | None:
    """The process's /proc/<pid>/stat figures, None once it is gone."""
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()  # the command name may hold spaces and parentheses
    utime, stime, cutime, cstime = (int(f) for f in fields[11:15])
    return Stat(pid, int(fields[1]), (utime + stime) / TICKS, (cutime + cstime) / TICKS)


def cmdline(pid: int) -> str:
    try:
        return (PROC / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def all_stats() -> dict[int, Stat]:
    out = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit() and (s := stat(int(entry.name))) is not None:
            out[s.pid] = s
    return out


def children(stats: dict[int, Stat], pid: int) -> list[int]:
    return [s.pid for s in stats.values() if s.ppid == pid]


def descendants(stats: dict[int, Stat], pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        found = children(stats, todo.pop())
        out += found
        todo += found
    return out


def tree_seconds(stats: dict[int, Stat], pid: int) -> float:
    """The process and everything under it, reaped or alive."""
    if pid not in stats:
        return 0.0
    return stats[pid].own + stats[pid].reaped + sum(stats[c].own for c in descendants(stats, pid))


def sample(processes: dict[str, int]) -> dict[str, float]:
    """CPU seconds so far of each named process tree (name -> root pid)."""
    stats = all_stats()
    return {name: tree_seconds(stats, pid) for name, pid in processes.items()}


def spent(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {name: after[name] - before.get(name, 0.0) for name in after}
