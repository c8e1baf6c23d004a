"""Demo data at scale: time and peak memory of ``tradematch demo --exporters N``.

The command runs as its own process (generation streamed to disk, then loaded through the
ingestion pipeline), and its peak RSS is that process's alone. The baseline, in the same run,
is a process that only writes the same number of CSV rows with ``csv.writer``: the I/O floor
a streaming generator cannot beat.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

from benchmarks.common import console, print_table, run_measured

_BASELINE = """
import csv, sys
rows = int(sys.argv[1])
with open(sys.argv[2], "w", newline="") as handle:
    writer = csv.writer(handle)
    row = ["EXP-0000001", "세진정밀(주)", "Sejin Precision Co., Ltd.", "industrial_machinery",
           "Iksan", "12", "growth", "ISO9001;CE", "VN;IN", "ko;en",
           "Stainless steel ball valve for chemical plants, DN15-DN100"]
    for _ in range(rows):
        writer.writerow(row)
"""


def run(exporters: int, seed: int, load: bool) -> None:
    tradematch = str(Path(sys.executable).with_name("tradematch"))
    with tempfile.TemporaryDirectory(prefix="bench-demo-") as tmp:
        env = {**os.environ, "TRADEMATCH_DATA_DIR": tmp}
        argv = [tradematch, "demo", "--exporters", str(exporters), "--seed", str(seed)]
        if not load:
            argv.append("--no-load")
        demo = run_measured(argv, env=env)
        if demo.returncode != 0:
            console.print(demo.output[-3000:])
            raise SystemExit(f"tradematch demo failed with exit code {demo.returncode}")
        manifest = json.loads((Path(tmp) / "demo" / "manifest.json").read_text())
        counts: dict[str, int] = manifest["counts"]
        total_rows = sum(counts.values())
        base = run_measured(
            [sys.executable, "-c", _BASELINE, str(total_rows), str(Path(tmp) / "floor.csv")]
        )
    console.print(f"rows per file: {json.dumps(counts)}")
    print_table(
        f"tradematch demo --exporters {exporters}{'' if load else ' --no-load'}",
        ["", "seconds", "peak RSS (MB)", "rows", "rows/s"],
        [
            [
                f"demo ({'generate + load' if load else 'generate'})",
                demo.seconds,
                demo.peak_rss_mb,
                total_rows,
                total_rows / demo.seconds,
            ],
            [
                "baseline: csv.writer of constant rows",
                base.seconds,
                base.peak_rss_mb,
                total_rows,
                total_rows / base.seconds,
            ],
            [
                "ratio demo / baseline",
                demo.seconds / base.seconds,
                demo.peak_rss_mb / base.peak_rss_mb,
                "",
                "",
            ],
        ],
    )
