"""An open-loop, constant-arrival-rate HTTP load generator, run as its own process.

Why a hand-written one: the acceptance test asks for a load generator in a separate process
at a fixed request rate. ``wrk`` is not installed here, and locust's users are closed loops
(each waits for its response before its wait time starts), so a slow server quietly lowers the
offered rate and the latency of the requests that were never sent goes unmeasured
(coordinated omission). Here request ``i`` is scheduled at ``start + i / rate`` whatever
happened to the earlier ones, each is sent on its own task over a pool that opens more
connections when responses are slow, and its latency is measured from the *scheduled* time,
so any lag of the generator itself counts against the server rather than hiding queueing.

Usage (what ``bench_api_load`` does): ``python -m benchmarks.load_generator config.json
results.json``. The config names the URL, headers, request bodies (sent in turn), rate,
duration, warm-up and timeout; the results hold one record per measured request.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx


@dataclass(frozen=True)
class LoadConfig:
    url: str
    headers: dict[str, str]
    bodies: list[dict[str, Any]]
    rate: float  # requests per second, offered
    duration_s: float  # measured period
    warmup_s: float = 0.0  # sent at the same rate before it, not recorded
    timeout_s: float = 10.0  # a request slower than this is an error


@dataclass(frozen=True)
class RequestRecord:
    scheduled_s: float  # offset of its scheduled send from the start of the measured period
    send_lag_ms: float  # how late the generator actually sent it
    latency_ms: float  # scheduled send to complete response (client side)
    status: int  # HTTP status; 0 when no response came (timeout, connection error)
    error: str | None
    timings_ms: dict[str, float] | None  # the service's own split, from a 200's body


async def _one(
    client: httpx.AsyncClient, config: LoadConfig, body: dict[str, Any], scheduled: float
) -> tuple[float, float, int, str | None, dict[str, float] | None]:
    sent = time.perf_counter()
    status, error, timings = 0, None, None
    try:
        response = await client.post(config.url, json=body, headers=config.headers)
        status = response.status_code
        if status == 200:
            timings = {k: float(v) for k, v in response.json().get("timings_ms", {}).items()}
        else:
            error = f"HTTP {status}: {response.text[:200]}"
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"
    done = time.perf_counter()
    return (sent - scheduled) * 1000, (done - scheduled) * 1000, status, error, timings


async def generate(config: LoadConfig) -> tuple[list[RequestRecord], float]:
    """Send the schedule; the records of the measured requests and the measured period's
    wall time (first scheduled send to last completion)."""
    interval = 1.0 / config.rate
    n_warm = round(config.warmup_s * config.rate)
    n_total = n_warm + round(config.duration_s * config.rate)
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=256)
    timeout = httpx.Timeout(config.timeout_s)
    async with httpx.AsyncClient(limits=limits, timeout=timeout) as client:
        loop_start = time.perf_counter() + 0.05
        tasks: list[asyncio.Task[tuple[float, float, int, str | None, dict[str, float] | None]]]
        tasks = []
        for i in range(n_total):
            scheduled = loop_start + i * interval
            delay = scheduled - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            body = config.bodies[i % len(config.bodies)]
            tasks.append(asyncio.create_task(_one(client, config, body, scheduled)))
        outcomes = await asyncio.gather(*tasks)
        finished = time.perf_counter()
    measured_start = loop_start + n_warm * interval
    records = [
        RequestRecord(
            scheduled_s=(loop_start + i * interval) - measured_start,
            send_lag_ms=lag,
            latency_ms=latency,
            status=status,
            error=error,
            timings_ms=timings,
        )
        for i, (lag, latency, status, error, timings) in enumerate(outcomes)
        if i >= n_warm
    ]
    return records, finished - measured_start


def main(argv: list[str]) -> None:
    config_path, out_path = Path(argv[0]), Path(argv[1])
    config = LoadConfig(**json.loads(config_path.read_text(encoding="utf-8")))
    records, elapsed = asyncio.run(generate(config))
    out = {"elapsed_s": elapsed, "requests": [asdict(r) for r in records]}
    out_path.write_text(json.dumps(out), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
