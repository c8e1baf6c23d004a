"""Timing, peak-memory and table helpers shared by the benchmarks."""

from __future__ import annotations

import resource
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from rich.console import Console
from rich.table import Table

console = Console()


@dataclass(frozen=True)
class ProcessRun:
    seconds: float
    peak_rss_mb: float
    returncode: int
    output: str


def _vm_hwm_kb(pid: int) -> int | None:
    """The process's own peak resident set (VmHWM), or None once it has exited."""
    try:
        with open(f"/proc/{pid}/status") as handle:  # noqa: PTH123 - procfs, not a project path
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None


def run_measured(argv: Sequence[str], env: dict[str, str] | None = None) -> ProcessRun:
    """Run a command; its wall time and peak resident memory.

    The peak is the child's own VmHWM, polled from /proc until it exits. ``ru_maxrss`` from
    wait4 would not do: Linux carries the parent's high-water mark into a forked child across
    exec, so every child would seem at least as large as this benchmark process.
    """
    started = time.perf_counter()
    proc = subprocess.Popen(
        list(argv), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    peak_kb = 0
    stop = threading.Event()

    def watch() -> None:
        nonlocal peak_kb
        while not stop.is_set():
            hwm = _vm_hwm_kb(proc.pid)
            if hwm is not None:
                peak_kb = max(peak_kb, hwm)
            stop.wait(0.02)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    output, _ = proc.communicate()
    seconds = time.perf_counter() - started
    stop.set()
    watcher.join()
    return ProcessRun(seconds, peak_kb / 1024, proc.returncode, output or "")


def self_peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentiles(samples_ms: Sequence[float]) -> dict[str, float]:
    arr = np.asarray(samples_ms, dtype=float)
    return {
        "p50": float(np.percentile(arr, 50)),
        "p95": float(np.percentile(arr, 95)),
        "p99": float(np.percentile(arr, 99)),
        "mean": float(arr.mean()),
    }


def print_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    table = Table(*columns, title=title)
    for row in rows:
        table.add_row(*(f"{v:.2f}" if isinstance(v, float) else str(v) for v in row))
    console.print(table)
