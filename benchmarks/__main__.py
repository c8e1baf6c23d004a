"""``python -m benchmarks [match|demo|rank|consortia|load|batch ...]``; ``make bench`` runs them
all at default sizes."""

from __future__ import annotations

import argparse

from benchmarks import (
    bench_api_load,
    bench_batch,
    bench_consortia,
    bench_demo,
    bench_encoders,
    bench_index,
    bench_match,
    bench_rank,
)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    sub = parser.add_subparsers(dest="name")
    match = sub.add_parser("match", help="match latency against a brute-force cosine baseline")
    match.add_argument("--exporters", type=int, default=1500)
    match.add_argument("--repeats", type=int, default=10)
    match.add_argument("--seed", type=int, default=20261123)
    demo = sub.add_parser("demo", help="demo generation + load: time and peak RSS")
    demo.add_argument("--exporters", type=int, default=20_000)
    demo.add_argument("--seed", type=int, default=20261123)
    demo.add_argument("--no-load", action="store_true")
    encoders = sub.add_parser("encoders", help="encoder throughput and single-query latency")
    encoders.add_argument("--batches", type=int, default=16)
    encoders.add_argument("--queries", type=int, default=200)
    index = sub.add_parser("index", help="index types at 10k/100k/1M, filters, demo agreement")
    index.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    index.add_argument("--queries", type=int, default=1000)
    index.add_argument(
        "--kinds", nargs="+", default=["auto", "flat", "hnsw", "ivf_flat", "ivf_sq8"]
    )
    index.add_argument("--no-demo", action="store_true")
    rank = sub.add_parser("rank", help="ranking 200 candidates: rule and learned, p50/p99")
    rank.add_argument("--exporters", type=int, default=1500)
    rank.add_argument("--queries", type=int, default=500)
    rank.add_argument("--seed", type=int, default=20261123)
    consortia = sub.add_parser("consortia", help="consortium proposals, 30 x 60, MILP vs greedy")
    consortia.add_argument("--exporters", type=int, default=1500)
    consortia.add_argument("--seed", type=int, default=20261123)
    load = sub.add_parser("load", help="POST /v1/inquiries/match over HTTP at fixed rates")
    load.add_argument("--products", type=int, default=100_000)
    load.add_argument("--rates", type=float, nargs="+", default=[10.0, 20.0, 40.0])
    load.add_argument("--duration", type=float, default=60.0, help="seconds per rate")
    load.add_argument(
        "--workers",
        type=int,
        nargs="+",
        default=None,
        help="uvicorn workers, one run each (default: Settings.workers, the production value)",
    )
    load.add_argument("--seed", type=int, default=20261123)
    batch = sub.add_parser(
        "batch",
        help="nightly batch: the first night's full run, incremental after a 1%% change, "
        "1 worker against 2 (the defaults are issue 9's acceptance run)",
    )
    batch.add_argument("--exporters", type=int, default=20_000)
    batch.add_argument("--buyers", type=int, default=50_000)
    batch.add_argument("--needs", type=int, default=26_000, help="inquiries (~40%% open)")
    batch.add_argument("--workers", type=int, nargs="+", default=bench_batch.WORKERS)
    batch.add_argument("--change", type=float, default=0.01, help="share of entities edited")
    batch.add_argument("--seed", type=int, default=20261123)
    batch.add_argument(
        "--no-check", action="store_true", help="skip the full recompute after the incremental"
    )
    batch.add_argument(
        "--cold",
        choices=["each", "first", "all"],
        default=bench_batch.COLD,
        help="empty the query-vector cache before each full run, or the first only; all: "
        "the first full run also encodes every document and builds every index",
    )
    batch.add_argument(
        "--order",
        choices=["fulls-first", "incremental-early"],
        default=bench_batch.ORDER,
        help="incremental-early: full (first worker count), change, incremental, other fulls",
    )
    args = parser.parse_args()

    if args.name in (None, "demo"):
        bench_demo.run(
            getattr(args, "exporters", 20_000),
            getattr(args, "seed", 20261123),
            not getattr(args, "no_load", False),
        )
    if args.name in (None, "encoders"):
        bench_encoders.run(getattr(args, "batches", 16), getattr(args, "queries", 200))
    if args.name in (None, "index"):
        bench_index.run(
            getattr(args, "sizes", [10_000, 100_000, 1_000_000]),
            getattr(args, "queries", 1000),
            getattr(args, "kinds", ["auto", "flat", "hnsw", "ivf_flat", "ivf_sq8"]),
            not getattr(args, "no_demo", False),
        )
    if args.name in (None, "rank"):
        bench_rank.run(
            getattr(args, "exporters", 1500),
            getattr(args, "queries", 500),
            getattr(args, "seed", 20261123),
        )
    if args.name in (None, "consortia"):
        bench_consortia.run(getattr(args, "exporters", 1500), getattr(args, "seed", 20261123))
    if args.name in (None, "match"):
        bench_match.run(
            getattr(args, "exporters", 1500),
            getattr(args, "repeats", 10),
            getattr(args, "seed", 20261123),
        )
    if args.name in (None, "load"):
        bench_api_load.run(
            getattr(args, "products", 100_000),
            getattr(args, "rates", [10.0, 20.0, 40.0]),
            getattr(args, "duration", 60.0),
            getattr(args, "workers", None),
            getattr(args, "seed", 20261123),
        )
    if args.name in (None, "batch"):
        bench_batch.run(
            getattr(args, "exporters", 20_000),
            getattr(args, "buyers", 50_000),
            getattr(args, "needs", 26_000),
            getattr(args, "workers", bench_batch.WORKERS),
            getattr(args, "change", 0.01),
            getattr(args, "seed", 20261123),
            not getattr(args, "no_check", False),
            getattr(args, "cold", bench_batch.COLD),
            getattr(args, "order", bench_batch.ORDER),
        )


if __name__ == "__main__":
    main()
