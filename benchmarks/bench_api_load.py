"""API load test: ``POST /v1/inquiries/match`` over HTTP at fixed request rates (issue 7).

What runs: the service as in production (``tradematch serve``: uvicorn on loopback, the
``api.main:app_factory`` factory, settings from ``TRADEMATCH_`` variables) over a cached demo
store of at least 100k products with every index built, and a load generator in a separate
process (``benchmarks.load_generator``: open loop at a constant arrival rate, latency from each
request's scheduled send, so a slow server cannot hide its queue; see that module for why not
locust, and ``wrk`` is not installed here). Each rate is offered for ``--duration`` seconds
after a 5 s warm-up at the same rate. Before the first rate, closed-loop rounds of concurrent
matches warm every worker (the first match after /v1/ready loads the pair context, ~16-24 s
at 100k products: reported as the cold start); after each rate the bench waits until requests
the generator gave up on are worked off, so they do not load the next rate.

Workers: the production setting is ``Settings.workers``, whose default (1) is what the
Dockerfile's ``tradematch serve`` runs, so ``--workers`` defaults to the configured value; it
takes several values to compare them in one run. Measured here (100k products, 2 cores,
60 s per rate):

- Before 2026-11-24, on torch: a match cost ~80 ms of CPU (encode ~38, retrieve ~16, rank
  ~16, HTTP ~12); with ``OMP_NUM_THREADS=1`` 2 workers held 10 req/s (p99 159 ms) and neither
  1 nor 2 held 20 req/s.
- 2026-11-24: the query encoder on onnxruntime (one thread a query), numpy's OpenBLAS and
  OpenMP held to one thread per worker (``api_native_threads``: the second OpenBLAS thread
  spin-waited through every match, 73 against 39 ms of server CPU a request), and the match
  path's pandas and FAISS reconstruct overheads trimmed. 20 req/s: p99 71 ms with 1 worker,
  68 ms with 2, no errors (PASS). 40 req/s: 1 worker collapses (GIL-bound), 2 workers do
  37.9/s with p99 4.5 s (CPU-bound: ~40 ms a match on 2 cores).

So the default stays the production value (1), which is what the acceptance figure is about;
pass ``--workers 1 2`` to compare.

Requests: realistic multilingual inquiries, top_k 10: the demo generator's own inquiry texts
from the store (English, Vietnamese, Korean; with HS codes in about 60%, quantities, target
prices and required certifications as the inquiries state them) and Hindi inquiries built
from the same catalogue's product types (the generator writes no Hindi), about a fifth each
of Korean and Hindi, a quarter Vietnamese, the rest English. Requests carry a partner API
key created in the bench store, and the server's rate limit is raised so that it never
answers 429.

Figures per rate: offered rate, achieved throughput (200s per second of the measured
period), client-measured p50/p95/p99, errors (non-200 and timeouts), and from each 200's
``timings_ms`` the service's split (encode, retrieve, rank) plus what lies outside it (HTTP,
auth, validation, serialisation, queueing: client latency minus the three parts). The
baseline, measured in the same run before the server starts: the same inquiries through the
in-process ``MatchService.match``, sequentially; the ratio HTTP p99 / in-process p99 is
printed at each rate, with PASS/FAIL against the target (p99 <= 150 ms and no error at 20
requests/s). Timings are noisy on a shared two-core machine.

The store (``data/bench/load-<exporters>-<seed>-v<generator version>/``: SQLite, embedding
cache, every index) is built on first use and reused afterwards: generating and loading
55,556 exporters (103,580 products) took 7 minutes here and embedding every collection about
95 more on two cores (products 15, exporters 31, buyers 41, needs 7).
"""

from __future__ import annotations

import contextlib
import csv
import gc
import json
import math
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from benchmarks.common import console, percentiles, print_table
from benchmarks.stores import REPO, StoreSpec, build_info, demo_store
from matcher.config import Settings

# Products per generated exporter, measured on the demo generator (5,627 products from 3,000
# exporters: 15% service firms with none, manufacturers 1-4, mean ~2.2). Sizing with a
# slightly lower figure leaves a margin, and the store is checked after loading.
PRODUCTS_PER_EXPORTER = 1.8
TARGET_RATE = 20.0
TARGET_P99_MS = 150.0
WARMUP_S = 5.0
TIMEOUT_S = 10.0
POOL = 300  # distinct inquiries, sent in turn
LANGUAGE_SHARE = {"en": 0.35, "vi": 0.25, "ko": 0.20, "hi": 0.20}
MATCH_PATH = "/v1/inquiries/match"


# ---------------------------------------------------------------------------------------------
# The store
# ---------------------------------------------------------------------------------------------


def store_settings(products: int, seed: int) -> Settings:
    """Settings for the cached bench store of at least ``products`` products (built on first
    use with every index: the API would otherwise build the missing collections in the
    background, in every worker, during the load)."""
    from matcher.index.catalogs import CATALOGS

    spec = StoreSpec("load", math.ceil(products / PRODUCTS_PER_EXPORTER), seed)
    settings = demo_store(spec, list(CATALOGS))
    count = build_info(settings)["indexes"]["products"]["count"]
    if count < products:
        raise RuntimeError(
            f"the bench store has {count} products, fewer than {products}: "
            "lower PRODUCTS_PER_EXPORTER"
        )
    return settings


# ---------------------------------------------------------------------------------------------
# Inquiries
# ---------------------------------------------------------------------------------------------

# Hindi inquiries for Indian importers: (product in Hindi, HS code, unit in Hindi), from the
# demo catalogue's product types that Indian buyers ask for.
_HINDI_PRODUCTS: tuple[tuple[str, str, str], ...] = (
    ("इंस्टेंट नूडल्स", "190230", "कार्टन"),
    ("लाल जिनसेंग उत्पाद", "130219", "बॉक्स"),
    ("शीट मास्क", "330499", "पीस"),
    ("फेस क्रीम", "330499", "पीस"),
    ("सनस्क्रीन", "330499", "पीस"),
    ("शैम्पू", "330510", "बोतल"),
    ("ट्रैक्टर", "870193", "यूनिट"),
    ("धान रोपाई मशीन (राइस ट्रांसप्लांटर)", "843239", "यूनिट"),
    ("कंबाइन हार्वेस्टर", "843351", "यूनिट"),
    ("पावर टिलर", "843229", "यूनिट"),
    ("कृषि स्प्रेयर", "842449", "यूनिट"),
    ("हाइड्रोलिक एक्सकेवेटर", "842952", "यूनिट"),
    ("ऑटो चेसिस पार्ट्स", "870830", "पीस"),
    ("फसल सुरक्षा रसायन (कीटनाशक)", "380891", "किलो"),
    ("चिकित्सा डिस्पोजेबल सिरिंज", "901831", "पीस"),
    ("डेंटल इम्प्लांट", "902129", "पीस"),
    ("तांबे की ट्यूब", "741110", "किलो"),
    ("स्टेनलेस स्टील फ्लैंज", "730721", "पीस"),
    ("सीमलेस स्टेनलेस स्टील पाइप", "730441", "मीटर"),
    ("बॉल वाल्व", "848180", "पीस"),
    ("सेंट्रीफ्यूगल पंप", "841370", "यूनिट"),
    ("खाद्य पैकेजिंग के लिए प्लास्टिक फिल्म", "392010", "किलो"),
    ("एलईडी लाइटिंग", "940542", "पीस"),
    ("सेमीकंडक्टर उपकरण के पुर्जे", "848690", "पीस"),
)
_HINDI_CITIES = ("मुंबई", "नई दिल्ली", "चेन्नई", "पुणे", "अहमदाबाद", "बेंगलुरु", "लुधियाना")
_HINDI_TEMPLATES = (
    "हमें कोरिया से {product} के आपूर्तिकर्ता चाहिए, {city} में वितरण के लिए",
    "{city} स्थित आयातक {product} खरीदना चाहता है, हर महीने {qty} {unit}। कृपया FOB मूल्य भेजें।",
    "कोरियाई {product} निर्माता की तलाश है, पहला ऑर्डर {qty} {unit}",
    "{product} के लिए विश्वसनीय कोरियाई सप्लायर चाहिए ({city})",
)


def _hindi(rng: np.random.Generator, n: int) -> list[dict[str, Any]]:
    bodies = []
    for _ in range(n):
        product, hs, unit = _HINDI_PRODUCTS[rng.integers(len(_HINDI_PRODUCTS))]
        qty = int(rng.choice([10, 50, 100, 500, 1000]))
        text = _HINDI_TEMPLATES[rng.integers(len(_HINDI_TEMPLATES))].format(
            product=product,
            city=_HINDI_CITIES[rng.integers(len(_HINDI_CITIES))],
            qty=qty,
            unit=unit,
        )
        body: dict[str, Any] = {"text": text, "top_k": 10}
        if rng.random() < 0.6:  # as often as the generator's inquiries state a code
            body["hs_codes"] = [hs if rng.random() < 0.5 else hs[:4]]
        if "{qty}" in text or rng.random() < 0.3:
            body["quantity"] = float(qty)
        bodies.append(body)
    return bodies


def _from_need(row: dict[str, str]) -> dict[str, Any]:
    """A request body as an importer's system would send the stored inquiry."""
    body: dict[str, Any] = {"text": row["text"], "top_k": 10}
    if row["hs_codes"]:
        body["hs_codes"] = row["hs_codes"].split(";")
    if row["required_certifications"]:
        body["required_certifications"] = row["required_certifications"].split(";")
    if row["quantity"]:
        body["quantity"] = float(row["quantity"])
    if row["target_price_usd"]:
        body["target_price_usd"] = float(row["target_price_usd"])
    return body


def inquiries(settings: Settings, count: int, seed: int) -> list[dict[str, Any]]:
    """``count`` request bodies in ``LANGUAGE_SHARE`` proportions, shuffled (seeded)."""
    rng = np.random.default_rng(seed)
    by_language: dict[str, list[dict[str, str]]] = {}
    with (settings.demo_dir / "needs.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            by_language.setdefault(row["language"], []).append(row)
    bodies: list[dict[str, Any]] = []
    for language, share in LANGUAGE_SHARE.items():
        n = round(count * share)
        if language == "hi":
            bodies += _hindi(rng, n)
            continue
        rows = by_language.get(language, [])
        picks = rng.choice(len(rows), size=min(n, len(rows)), replace=False)
        bodies += [_from_need(rows[i]) for i in picks]
    order = rng.permutation(len(bodies))
    return [bodies[i] for i in order]


def _language(body: dict[str, Any]) -> str:
    text = str(body["text"])
    if any("\u0900" <= c <= "\u097f" for c in text):
        return "hi"
    if any("\uac00" <= c <= "\ud7a3" for c in text):
        return "ko"
    return "vi" if any(c in "ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệ" for c in text.lower()) else "en"


# ---------------------------------------------------------------------------------------------
# The in-process baseline
# ---------------------------------------------------------------------------------------------


@dataclass
class Baseline:
    total_ms: list[float]
    parts_ms: dict[str, list[float]]
    ranker: str
    products: int


def in_process(settings: Settings, bodies: Sequence[dict[str, Any]]) -> Baseline:
    """The same inquiries through ``MatchService.match`` in this process, one at a time."""
    from api.schemas import InquiryMatchRequest
    from matcher.index.products import CatalogFilter
    from matcher.matching.service import MatchRequest
    from matcher.runtime import Runtime

    runtime = Runtime(settings)
    service = runtime.match_service()
    requests = []
    for body in bodies:
        # Validated as the route does, so both sides match exactly the same requests.
        b = InquiryMatchRequest.model_validate(body)
        requests.append(
            MatchRequest(
                text=b.text,
                hs_codes=tuple(b.hs_codes),
                required_certifications=tuple(b.required_certifications),
                quantity=b.quantity,
                target_price_usd=b.target_price_usd,
                filters=CatalogFilter(),
                top_k=b.top_k,
            )
        )
    for request in requests[:5]:  # model, context and index pages
        service.match(request)
    total: list[float] = []
    parts: dict[str, list[float]] = {"encode": [], "retrieve": [], "rank": []}
    ranker = ""
    for request in requests:
        start = time.perf_counter()
        result = service.match(request)
        total.append((time.perf_counter() - start) * 1000)
        for key, values in parts.items():
            values.append(result.timings_ms[key])
        ranker = result.ranker
    products = runtime.indexes.manifest("products").count
    runtime.engine.dispose()
    return Baseline(total, parts, ranker, products)


# ---------------------------------------------------------------------------------------------
# The server
# ---------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def bench_key(settings: Settings) -> str:
    """A fresh partner key in the bench store (keys are shown once, so one per run)."""
    from matcher.runtime import Runtime
    from matcher.storage.api_keys import create_key
    from matcher.storage.database import session_scope

    runtime = Runtime(settings)
    runtime.upgrade_schema()  # the schema may have moved on since the store was built
    with session_scope(runtime.sessions) as session:
        key, _ = create_key(session, "bench", "partner")
    runtime.engine.dispose()
    return key


def server_env(settings: Settings) -> dict[str, str]:
    """The environment of the server: this process's, minus any ``TRADEMATCH_`` variable
    (the bench store is the whole configuration), plus the store and a rate limit high
    enough never to answer 429."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRADEMATCH_")}
    env.update(
        TRADEMATCH_DATA_DIR=str(settings.data_dir),
        TRADEMATCH_MODELS_DIR=str(settings.models_dir),
        TRADEMATCH_RATE_LIMIT_REQUESTS="1000000",
        PYTHONUNBUFFERED="1",
    )
    if settings.market_scores_path is not None:
        env["TRADEMATCH_MARKET_SCORES_PATH"] = str(settings.market_scores_path)
    return env


def _wait_ready(
    proc: subprocess.Popen[bytes], base: str, headers: dict[str, str], workers: int, log: Path
) -> None:
    """Until /v1/ready answers 200 and /v1/health shows every collection loaded on every
    worker (the other indexes load in the background after start-up)."""
    from matcher.index.catalogs import CATALOGS

    deadline = time.monotonic() + 600
    in_a_row = 0
    # A new connection per probe: each may land on another worker.
    headers = {**headers, "Connection": "close"}
    with httpx.Client(base_url=base, headers=headers, timeout=5) as client:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
                raise RuntimeError(f"the server exited with {proc.returncode}:\n{tail}")
            try:
                ready = client.get("/v1/ready").status_code == 200
                loaded = set(client.get("/v1/health").json().get("indexes") or {})
            except httpx.HTTPError:
                ready, loaded = False, set()
            in_a_row = in_a_row + 1 if ready and loaded >= set(CATALOGS) else 0
            # Several answers in a row, so that every worker has most likely answered.
            if in_a_row >= 4 * workers:
                return
            time.sleep(0.5)
    raise RuntimeError(f"the server was not ready within 600 s (log: {log})")


@contextlib.contextmanager
def serving(settings: Settings, workers: int, headers: dict[str, str]) -> Iterator[str]:
    """``tradematch serve`` on a free loopback port; its base URL once ready."""
    port = _free_port()
    log = settings.data_dir / f"server-{workers}w.log"
    argv = [
        str(Path(sys.executable).with_name("tradematch")),
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            argv,
            cwd=REPO,
            env=server_env(settings),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its workers form one group, ended together below
        )
        try:
            base = f"http://127.0.0.1:{port}"
            _wait_ready(proc, base, headers, workers, log)
            yield base
        finally:
            proc.send_signal(signal.SIGINT)  # uvicorn's graceful stop, workers included
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


# ---------------------------------------------------------------------------------------------
# The load
# ---------------------------------------------------------------------------------------------


@dataclass
class RateResult:
    workers: int
    rate: float
    sent: int
    ok: int
    errors: int
    throughput: float
    latency: dict[str, float]  # client-measured p50/p95/p99/mean
    max_ms: float
    parts: dict[str, dict[str, float]]  # encode/retrieve/rank/outside: percentiles
    send_lag_p99: float
    error_kinds: dict[str, int]


def offer(
    url: str,
    headers: dict[str, str],
    bodies: list[dict[str, Any]],
    rate: float,
    duration: float,
    workers: int,
) -> RateResult:
    """One rate through the load generator process."""
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        config = Path(tmp) / "config.json"
        results = Path(tmp) / "results.json"
        config.write_text(
            json.dumps(
                {
                    "url": url,
                    "headers": headers,
                    "bodies": bodies,
                    "rate": rate,
                    "duration_s": duration,
                    "warmup_s": WARMUP_S,
                    "timeout_s": TIMEOUT_S,
                }
            ),
            encoding="utf-8",
        )
        subprocess.run(
            [sys.executable, "-m", "benchmarks.load_generator", str(config), str(results)],
            cwd=REPO,
            check=True,
        )
        data = json.loads(results.read_text(encoding="utf-8"))
    records = data["requests"]
    ok = [r for r in records if r["status"] == 200]
    kinds: dict[str, int] = {}
    for r in records:
        if r["status"] != 200:
            kind = str(r["error"]).split(":", 1)[0]
            kinds[kind] = kinds.get(kind, 0) + 1
    latency = [r["latency_ms"] for r in records]  # errors count at their full time
    parts: dict[str, list[float]] = {"encode": [], "retrieve": [], "rank": [], "outside": []}
    for r in ok:
        t = r["timings_ms"] or {}
        inside = 0.0
        for key in ("encode", "retrieve", "rank"):
            parts[key].append(float(t.get(key, 0.0)))
            inside += float(t.get(key, 0.0))
        parts["outside"].append(r["latency_ms"] - inside)
    return RateResult(
        workers=workers,
        rate=rate,
        sent=len(records),
        ok=len(ok),
        errors=len(records) - len(ok),
        throughput=len(ok) / data["elapsed_s"],
        latency=percentiles(latency),
        max_ms=max(latency),
        parts={k: percentiles(v) for k, v in parts.items() if v},
        send_lag_p99=percentiles([r["send_lag_ms"] for r in records])["p99"],
        error_kinds=kinds,
    )


def _post(url: str, headers: dict[str, str], body: dict[str, Any], timeout: float) -> float:
    """One match on a new connection (so that it may land on any worker); its latency."""
    start = time.perf_counter()
    response = httpx.post(
        url, json=body, headers={**headers, "Connection": "close"}, timeout=timeout
    )
    response.raise_for_status()
    return (time.perf_counter() - start) * 1000


def warm_up(
    url: str, headers: dict[str, str], bodies: list[dict[str, Any]], workers: int
) -> tuple[float, int]:
    """Closed-loop rounds of concurrent matches until every request of a round is quick.

    Why: /v1/ready answers as soon as the index is loaded, but each worker loads the pair
    context (profiles, funnel history, market prior) on its first match, which takes tens of
    seconds at 100k products; offered at a fixed rate, that first stall would queue every
    later request behind it. Returns the slowest first-round latency (the cold start, which
    is reported) and the rounds it took.
    """
    first = 0.0
    with ThreadPoolExecutor(max_workers=4 * workers) as pool:
        for rounds in range(1, 31):
            picks = [bodies[(rounds * 7 + i) % len(bodies)] for i in range(4 * workers)]
            latencies = list(pool.map(lambda b: _post(url, headers, b, 600.0), picks))
            if rounds == 1:
                first = max(latencies)
            if max(latencies) < 2000:
                return first, rounds
    return first, rounds


def drain(url: str, headers: dict[str, str], body: dict[str, Any]) -> None:
    """Wait until the server has worked off requests the load generator gave up on (a sync
    route keeps computing after its client left), so that they do not load the next rate."""
    for _ in range(60):
        if _post(url, headers, body, 600.0) < 2000:
            break
    time.sleep(1.0)


def run(
    products: int,
    rates: Sequence[float],
    duration: float,
    workers: Sequence[int] | None,
    seed: int,
) -> None:
    settings = store_settings(products, seed)
    worker_counts = list(workers) if workers else [Settings().workers]
    bodies = inquiries(settings, POOL, seed)
    languages: dict[str, int] = {}
    for body in bodies:
        languages[_language(body)] = languages.get(_language(body), 0) + 1
    with_hs = sum(1 for b in bodies if b.get("hs_codes"))
    console.print(
        f"{len(bodies)} inquiries ({', '.join(f'{k} {v}' for k, v in sorted(languages.items()))}; "
        f"{with_hs} with HS codes), top_k 10"
    )

    baseline = in_process(settings, bodies)
    gc.collect()
    if settings.encoder_runtime == "torch":
        import torch

        threads = (
            f"torch intra-op threads {torch.get_num_threads()} (OMP_NUM_THREADS="
            f"{os.environ.get('OMP_NUM_THREADS', 'unset')}, inherited by the server)"
        )
    else:
        threads = "onnxruntime, one thread a query"
    console.print(
        f"encoder {settings.encoder} on {threads}, {os.cpu_count()} cores; "
        f"load average before the run {os.getloadavg()[0]:.1f}"
    )
    base = percentiles(baseline.total_ms)
    print_table(
        f"baseline: in-process MatchService.match, sequential, {len(bodies)} inquiries, "
        f"{baseline.products} products, {baseline.ranker} ranker (ms)",
        ["", "p50", "p95", "p99", "mean"],
        [
            ["match (no HTTP)", *base.values()],
            *[[f"  of which {k}", *percentiles(v).values()] for k, v in baseline.parts_ms.items()],
        ],
    )

    key = bench_key(settings)
    headers = {"X-API-Key": key}
    results: list[RateResult] = []
    for count in worker_counts:
        with serving(settings, count, headers) as url:
            first, rounds = warm_up(url + MATCH_PATH, headers, bodies, count)
            console.print(
                f"workers {count}: the first matches after /v1/ready took {first / 1000:.1f} s "
                f"(the pair context loads on first use); warm after {rounds} rounds"
            )
            for rate in rates:
                result = offer(url + MATCH_PATH, headers, bodies, rate, duration, count)
                drain(url + MATCH_PATH, headers, bodies[0])
                results.append(result)
                console.print(
                    f"workers {count}, {rate:g} req/s: p99 {result.latency['p99']:.1f} ms, "
                    f"{result.errors} errors (load average {os.getloadavg()[0]:.1f})"
                )
    _report(results, base, duration)


def _report(results: list[RateResult], base: dict[str, float], duration: float) -> None:
    """Two narrow tables (the console may be 80 columns wide) and the verdict."""
    print_table(
        f"POST {MATCH_PATH} over HTTP, {duration:g} s per rate, open loop: latency (ms)",
        [
            "workers",
            "offered/s",
            "done/s",
            "sent",
            "errors",
            "p50",
            "p95",
            "p99",
            "max",
            "p99/base",
        ],
        [
            [
                r.workers,
                f"{r.rate:g}",
                f"{r.throughput:.1f}",
                r.sent,
                r.errors,
                f"{r.latency['p50']:.0f}",
                f"{r.latency['p95']:.0f}",
                f"{r.latency['p99']:.0f}",
                f"{r.max_ms:.0f}",
                f"{r.latency['p99'] / base['p99']:.2f}",
            ]
            for r in results
        ],
    )
    console.print(
        f"done/s: 200s per second of the measured period; p99/base: HTTP p99 over the "
        f"in-process p99 ({base['p99']:.0f} ms)"
    )

    def cell(parts: dict[str, dict[str, float]], key: str) -> str:
        return f"{parts[key]['p50']:.0f} / {parts[key]['p99']:.0f}" if key in parts else "-"

    print_table(
        "where the time goes: p50 / p99 of each part (ms)",
        ["workers", "offered/s", "encode", "retrieve", "rank", "outside", "encode %", "lag p99"],
        [
            [
                r.workers,
                f"{r.rate:g}",
                *(cell(r.parts, k) for k in ("encode", "retrieve", "rank", "outside")),
                f"{100 * r.parts['encode']['mean'] / r.latency['mean']:.0f}%"
                if "encode" in r.parts
                else "-",
                f"{r.send_lag_p99:.0f}",
            ]
            for r in results
        ],
    )
    console.print(
        "encode/retrieve/rank: the service's timings_ms; outside: client latency minus them "
        "(HTTP, auth, validation, serialisation, queueing); encode %: mean encode over mean "
        "latency; lag p99: how late the generator sent (included in the latency)"
    )
    for r in results:
        if r.error_kinds:
            console.print(f"workers {r.workers}, {r.rate:g}/s errors: {r.error_kinds}")
    for r in results:
        if r.rate == TARGET_RATE:
            passed = r.latency["p99"] <= TARGET_P99_MS and r.errors == 0
            verdict = "[green]PASS[/green]" if passed else "[red]FAIL[/red]"
            console.print(
                f"{verdict} workers {r.workers}: p99 {r.latency['p99']:.1f} ms "
                f"(target <= {TARGET_P99_MS:g}), {r.errors} errors at {TARGET_RATE:g} req/s"
            )
    if not any(r.rate == TARGET_RATE for r in results):
        console.print(f"no verdict: {TARGET_RATE:g} req/s was not among the rates")
