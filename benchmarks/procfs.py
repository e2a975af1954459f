"""CPU time, memory and CPU placement of a process, from /proc (Linux)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
import os
from pathlib import Path

_KIB = 1024


def cpu_ns(pid: int) -> int:
    """CPU time of the live threads of ``pid`` in nanoseconds (``/proc/<pid>/task/*/schedstat``).

    Nanosecond resolution (``/proc/<pid>/stat`` counts 10 ms ticks); a thread that ends inside
    a measured window takes its share with it, so windows are kept short and the thread pool
    of Home Assistant is warm by then.
    """
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text(encoding="ascii").split()[0])
        except (OSError, ValueError, IndexError):
            continue
    return total


@dataclass(frozen=True, slots=True)
class Memory:
    """Resident memory of a process, in MiB."""

    rss: float
    pss: float | None
    private: float | None

    def as_dict(self) -> dict[str, float | None]:
        """JSON-ready values."""
        return {"rss_mib": self.rss, "pss_mib": self.pss, "private_mib": self.private}


def _kib_fields(path: Path) -> dict[str, int]:
    values: dict[str, int] = {}
    try:
        text = path.read_text(encoding="ascii")
    except OSError:
        return values
    for line in text.splitlines():
        name, _, rest = line.partition(":")
        parts = rest.split()
        if len(parts) >= 2 and parts[1] == "kB" and parts[0].isdigit():
            values[name.strip()] = int(parts[0])
    return values


def memory(pid: int) -> Memory:
    """RSS (``/proc/<pid>/status``), PSS and private memory (``smaps_rollup``) in MiB."""
    status = _kib_fields(Path(f"/proc/{pid}/status"))
    rollup = _kib_fields(Path(f"/proc/{pid}/smaps_rollup"))
    private = None
    if "Private_Clean" in rollup and "Private_Dirty" in rollup:
        private = round((rollup["Private_Clean"] + rollup["Private_Dirty"]) / _KIB, 2)
    pss = round(rollup["Pss"] / _KIB, 2) if "Pss" in rollup else None
    return Memory(rss=round(status.get("VmRSS", 0) / _KIB, 2), pss=pss, private=private)


def place_threads(pid: int, cpus: set[int]) -> None:
    """Run every thread of ``pid`` on ``cpus`` only (threads started later inherit it).

    A thread that ends meanwhile is skipped.
    """
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError, ValueError):
            os.sched_setaffinity(int(task.name), cpus)
