"""The nightly batch's driver: lock, bring the indexes up to date, screen, plan, rank the
partitions on Dask, commit.

1. **Lock.** One run at a time (``batch_lock``); a lock left by a dead run is taken over.
2. **Resume or plan.** A run left ``running`` by a kill is resumed from its stored plan, with
   its ``as_of``, skipping the partitions it checkpointed. Otherwise: the indexes are brought
   up to date (``IndexManager.ensure``: a collection whose store fingerprint moved is rebuilt
   from the embedding cache, so only changed entities are encoded), every query is
   enumerated with its input fingerprint, the query texts the cache lacks are encoded on the
   workers in batches, and the first stage is re-run on the workers for the queries whose
   top candidates may have moved (every query in a full run; in an incremental run the new
   ones, the changed ones and those a changed item can reach, ``batch.screening``; the
   others keep the last run's candidate fingerprints), and ``plan.decide`` picks the
   queries to rank.
3. **Rank.** Partitions go to the workers; the driver writes each one (rows and checkpoint
   in one transaction) as it arrives, with a progress bar and a heartbeat on the lock.
4. **Commit.** Unchanged queries' rows are copied from the previous run and the run becomes
   the served one in one transaction: the API serves the previous run until then. A
   partition that raises fails the run instead, with a summary of what failed and what was
   kept, and the previous run stays served.

Worker seconds (query encoding, first stage, ranking) are measured inside the tasks and summed,
so on N workers they add up to about N times the wall time of that phase.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import logging
import secrets
import socket
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from sqlalchemy.orm import Session, sessionmaker

from matcher.batch import screening
from matcher.batch.plan import Partition, Patch, Plan, decide
from matcher.batch.queries import (
    FIRM_IMPORTERS,
    INQUIRY_SUPPLIERS,
    Inputs,
    Query,
    QueryTexts,
    query_texts,
    read_inputs,
)
from matcher.batch.screening import Screened
from matcher.batch.worker import (
    PLUGIN_NAME,
    BatchWorker,
    EncodeResult,
    PartitionResult,
    Probe,
    ProbeResult,
    ScreenResult,
    encode_texts,
    probe,
    query_cache_name,
    rank_partition,
    screen,
)
from matcher.config import Settings
from matcher.embedding.cache import EmbeddingCache
from matcher.errors import IndexCorruptError, TradeMatchError
from matcher.index import persistence
from matcher.index.collection import ItemChanges
from matcher.index.filters import filed_under, normalize
from matcher.storage import batch_queries
from matcher.storage.batch_runs import (
    TASKS,
    acquire_lock,
    carry_over,
    commit_run,
    fail_run,
    finished_partitions,
    heartbeat,
    last_committed,
    patch_over,
    release_lock,
    start_run,
    store_plan,
    unfinished_run,
    write_partition,
)
from matcher.storage.database import session_scope

if TYPE_CHECKING:
    from matcher.runtime import Runtime

log = logging.getLogger(__name__)

COLLECTIONS = ("products", "buyers", "services")  # what the three tasks search
HEARTBEAT_SECONDS = 30.0  # well inside batch_runs.STALE_AFTER
SCREEN_CHUNK = 250  # queries per screening task (the first stage is milliseconds a query)
ENCODE_CHUNK = 512  # query texts per encoding task, at most


def even_chunks(items: Sequence[str], most: int, workers: int) -> list[list[str]]:
    """``items`` in chunks of at most ``most``, and at least one per worker where there
    are enough, all of about one size: a night's few hundred changed texts in chunks of
    512 would leave all but one worker idle while it encodes them."""
    if not items:
        return []
    count = max(-(-len(items) // most), min(len(items), max(workers, 1)))
    size = -(-len(items) // count)
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


class Reporter(Protocol):
    """Where the driver says what it is doing (the CLI draws progress bars)."""

    def phase(self, name: str, total: int) -> None: ...

    def advance(self, name: str, n: int = 1) -> None: ...

    def note(self, text: str) -> None: ...


class LogReporter:
    def phase(self, name: str, total: int) -> None:
        log.info("%s: %d tasks", name, total)

    def advance(self, name: str, n: int = 1) -> None:
        pass

    def note(self, text: str) -> None:
        log.info("%s", text)


@dataclass(frozen=True)
class BatchOutcome:
    run_id: str
    resumed: bool
    took_over_stale_lock: bool
    summary: dict[str, Any]


class BatchRunError(TradeMatchError):
    """A run that could not finish: ``summary`` says what failed and what was kept."""

    def __init__(self, message: str, run_id: str | None, summary: dict[str, Any]) -> None:
        super().__init__(message)
        self.run_id = run_id
        self.summary = summary


def absolute(settings: Settings) -> Settings:
    """The settings with their paths made absolute, so workers started elsewhere (another
    directory, another host mounting the same paths) read the same files."""
    update: dict[str, Any] = {
        "data_dir": settings.data_dir.resolve(),
        "models_dir": settings.models_dir.resolve(),
    }
    if settings.market_scores_path is not None:
        update["market_scores_path"] = settings.market_scores_path.resolve()
    if settings.database_url is None:
        update["database_url"] = settings.resolved_database_url
    return settings.model_copy(update=update)


def _distributed() -> Any:
    """``dask.distributed``, imported where a run needs workers (the CLI starts fast)."""
    import distributed

    return distributed


def _quiet_distributed() -> None:
    """distributed logs its cluster's every step at INFO (its import sets that level); the
    batch reports its own progress, so distributed speaks only of problems unless the root
    logger is at DEBUG (``tradematch -v``)."""
    if logging.getLogger().getEffectiveLevel() > logging.DEBUG:
        logging.getLogger("distributed").setLevel(logging.WARNING)


def new_run_id(as_of: dt.datetime) -> str:
    return f"{as_of.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(4)}"


# --- the lock's heartbeat and the workers --------------------------------------------------


class _Heartbeat:
    """Keeps the lock's heartbeat fresh while the driver waits on workers."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions
        self.run_id: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True, name="batch-heartbeat")

    def _loop(self) -> None:
        while not self._stop.wait(HEARTBEAT_SECONDS):
            try:
                heartbeat(self.sessions, self.run_id)
            except Exception:  # a missed beat is retried; the run goes on
                log.exception("batch lock heartbeat failed")

    def start(self) -> None:
        self._thread.start()

    def beat(self, run_id: str) -> None:
        self.run_id = run_id
        heartbeat(self.sessions, run_id)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


class _Workers:
    """The Dask client, started on first need (a run with nothing to rank starts none), with
    the batch plugin registered so each worker loads the services once; or started early
    (``start_early``), loading the services while the driver refreshes the indexes."""

    def __init__(
        self,
        settings: Settings,
        address: str | None,
        workers: int,
        processes: bool,
        reporter: Reporter,
    ) -> None:
        self.settings = settings
        self.address = address
        self.workers = workers
        self.processes = processes
        self.reporter = reporter
        self._stack = contextlib.ExitStack()
        self._client: Any = None
        self._early: tuple[threading.Thread, list[BaseException]] | None = None

    def start_early(self, dim: int) -> None:
        """Start the cluster now and register the plugin in the background: the workers
        import the batch's modules and load their services (the published index versions,
        the pair context) while the driver refreshes the indexes, a minute of one core that
        would otherwise wait for it. ``reload_indexes`` then maps what the refresh published.
        (The client is made on this thread, which closes it: its context is per thread.)"""
        if self._client is not None or self._early is not None:
            return
        connected = self._connect()
        errors: list[BaseException] = []

        def register() -> None:
            try:
                self._register(connected, dim)
            except BaseException as exc:  # re-raised by ``client`` on the driver's thread
                errors.append(exc)

        thread = threading.Thread(target=register, name="batch-workers", daemon=True)
        self._early = (thread, errors)
        thread.start()

    def reload_indexes(self, dim: int) -> None:
        """Have every worker switch to the index versions published since it loaded them
        (a worker whose versions are current does nothing)."""
        self.client(dim).run(_reload_indexes)

    def client(self, dim: int) -> Any:
        """The ``distributed.Client`` (typed Any: much of distributed is unannotated)."""
        if self._early is not None:
            thread, errors = self._early
            thread.join()
            self._early = None
            if errors:
                raise errors[0]
        if self._client is None:
            self._register(self._connect(), dim)
        return self._client

    def _connect(self) -> tuple[Any, str]:
        dask = _distributed()
        if self.address:
            client = self._stack.enter_context(dask.Client(self.address))
            return client, self.address
        cluster = self._stack.enter_context(
            dask.LocalCluster(
                n_workers=self.workers,
                threads_per_worker=1,
                processes=self.processes,
                dashboard_address=":0",
                silence_logs=logging.WARNING,
            )
        )
        client = self._stack.enter_context(dask.Client(cluster))
        where = f"LocalCluster, {self.workers} worker(s)" + (
            "" if self.processes else " in this process"
        )
        return client, where

    def _register(self, connected: tuple[Any, str], dim: int) -> None:
        """The batch plugin on every worker: each loads the services once."""
        client, where = connected
        own_process = bool(self.address) or self.processes
        client.register_plugin(
            BatchWorker(self.settings, dim, torch_threads=1 if own_process else None),
            name=PLUGIN_NAME,
        )
        self.reporter.note(f"Dask: {where}")
        services = client.scheduler_info().get("services", {})
        if "dashboard" in services:
            self.reporter.note(f"Dask dashboard: {client.dashboard_link}")
        self._client = client

    def memory_mb(self) -> list[float]:
        """Each worker's resident memory now (MB; none when no worker was started): what a
        worker holds with the indexes, the ranker and the pair context loaded."""
        if self._client is None:
            return []
        rss = self._client.run(_resident_mb)
        return [round(float(v), 1) for _, v in sorted(rss.items())]

    def close(self) -> None:
        if self._early is not None:
            self._early[0].join()
            self._early = None
        self._stack.close()


def _reload_indexes(dask_worker: Any) -> list[str]:
    """On a worker: map the index versions published since its services loaded theirs."""
    plugin = dask_worker.plugins.get(PLUGIN_NAME)
    services = plugin.services.get(dask_worker.address) if plugin is not None else None
    return [] if services is None else list(services.runtime.indexes.reload())


def _resident_mb() -> float:
    import psutil

    return float(psutil.Process().memory_info().rss) / 2**20


class _QueryVectors:
    """The driver's end of the query-vector cache: the one process that writes it."""

    def __init__(self, settings: Settings, encoder_name: str, dim: int) -> None:
        self.cache = EmbeddingCache(settings.cache_dir, query_cache_name(encoder_name), dim)

    def store(self, vectors: Mapping[str, np.ndarray]) -> None:
        if vectors:
            texts = sorted(vectors)
            self.cache.get_or_encode(texts, lambda missing: np.stack([vectors[t] for t in missing]))


# --- the run -------------------------------------------------------------------------------


def run_nightly(
    settings: Settings,
    *,
    full: bool = False,
    scheduler_address: str | None = None,
    workers: int | None = None,
    processes: bool = True,
    as_of: dt.datetime | None = None,
    reporter: Reporter | None = None,
) -> BatchOutcome:
    """Run (or resume) the nightly batch. ``processes=False`` runs the workers as threads of
    this process (tests, debugging); ``as_of`` fixes the moment the funnel history is read
    as of (default: now; a resumed run keeps its own). Raises ``ConflictError`` naming the
    holder while another run holds the lock, ``BatchRunError`` when a task fails."""
    from matcher.runtime import Runtime

    settings = absolute(settings)
    reporter = reporter or LogReporter()
    _quiet_distributed()
    runtime = Runtime(settings)
    sessions = runtime.sessions
    holder = f"tradematch batch nightly ({getpass.getuser()}@{socket.gethostname()})"
    try:
        took_over = acquire_lock(sessions, holder, None)
        if took_over:
            reporter.note("took over a stale batch lock (its run had died)")
        beat = _Heartbeat(sessions)
        beat.start()
        pool = _Workers(
            settings,
            scheduler_address or settings.batch_scheduler_address,
            workers or settings.batch_workers,
            processes,
            reporter,
        )
        try:
            run_id, resumed, summary = _run(runtime, pool, beat, reporter, full=full, as_of=as_of)
            return BatchOutcome(run_id, resumed, took_over, summary)
        finally:
            pool.close()
            beat.stop()
            release_lock(sessions)
    finally:
        runtime.engine.dispose()


def _run(
    runtime: Runtime,
    pool: _Workers,
    beat: _Heartbeat,
    reporter: Reporter,
    *,
    full: bool,
    as_of: dt.datetime | None,
) -> tuple[str, bool, dict[str, Any]]:
    settings, sessions = runtime.settings, runtime.sessions
    started = time.perf_counter()
    seconds: dict[str, float] = {}
    with session_scope(sessions) as session:
        unfinished = unfinished_run(session)
        resume = (
            None
            if unfinished is None
            else (unfinished.run_id, dict(unfinished.inputs), unfinished.previous_run_id)
        )
        committed = last_committed(session)
        previous = None if committed is None else (committed.run_id, dict(committed.inputs))
    encoder_name = runtime.encoder.name
    last = None if previous is None else Plan.read(previous[1])
    if resume is not None:
        run_id, stored, previous_run_id = resume
        plan = Plan.from_json(stored)
        beat.beat(run_id)
        reporter.note(f"resuming run {run_id} (as of {plan.as_of:%Y-%m-%d %H:%M:%S} UTC)")
        if full or as_of is not None:
            reporter.note("--full / --as-of apply to the next run: this one finishes as planned")
        dim = persistence.current(settings.index_dir, "products").manifest.dim
        t = time.perf_counter()
        with session_scope(sessions) as session:
            inputs = read_inputs(session, settings, encoder_name, plan.as_of)
        seconds["inputs"] = time.perf_counter() - t
        encoding, _ = _encode_queries(pool, dim, sessions, inputs, settings, encoder_name, reporter)
    else:
        moment = (as_of or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
        t = time.perf_counter()
        stale = [name for name in COLLECTIONS if runtime.indexes.is_stale(name)]
        early = _published_dim(runtime)
        if early is not None and (full or stale):
            pool.start_early(early)  # the workers load while the refresh runs
        indexes = _refresh_indexes(runtime, reporter, stale)
        seconds["indexes"] = time.perf_counter() - t
        if early is not None:
            pool.reload_indexes(early)
        dim = runtime.indexes.manifest("products").dim
        t = time.perf_counter()
        with session_scope(sessions) as session:
            inputs = read_inputs(session, settings, encoder_name, moment)
        seconds["inputs"] = time.perf_counter() - t
        encoding, texts = _encode_queries(
            pool, dim, sessions, inputs, settings, encoder_name, reporter
        )
        vectors = _QueryVectors(settings, encoder_name, dim)
        old = None if full else last
        t = time.perf_counter()
        changes = _index_changes(runtime, old)
        seconds["index_changes"] = time.perf_counter() - t
        results = None
        if previous is not None and not full:
            with session_scope(sessions) as session:
                results = batch_queries.run_targets(session, previous[0])
        screening = _screen(
            runtime, pool, dim, inputs, texts, vectors, reporter, old, changes, results or {}
        )
        plan = decide(
            inputs,
            screening.candidates,
            last,
            results,
            screening.reached,
            screening.probed,
            full=full,
            partition_size=settings.batch_partition_size,
        )
        plan.screens = screening.screens
        # A patch stands in for ranking a carried query only: one ranked anyway (its inputs
        # or a result's row changed) is written by its partition.
        recomputed = {task: set(keys) for task, keys in plan.recompute.items()}
        plan.patches = {
            task: {k: p for k, p in patched.items() if k not in recomputed[task]}
            for task, patched in screening.patched.items()
        }
        for task, repicked in screening.repicked.items():  # kept by ``_learnt`` at commit
            plan.entries[task] = {k: entry for k, (entry, _, _) in repicked.items()}
            plan.heads[task] = {k: head for k, (_, head, _) in repicked.items()}
            plan.floors[task] = {k: floor for k, (_, _, floor) in repicked.items()}
        plan.extra = {
            "screen_seconds": screening.timings,
            "screened": screening.screened,
            "candidate_depth": settings.batch_candidate_depth,
            "indexes": indexes,
        }
        previous_run_id = None if previous is None else previous[0]
        run_id = new_run_id(moment)
        with session_scope(sessions) as session:
            start_run(
                session,
                run_id,
                "full" if full else "incremental",
                plan.to_json(),
                len(plan.partitions()),
                previous_run_id,
            )
        beat.beat(run_id)
    partitions = plan.partitions()
    with session_scope(sessions) as session:
        done = finished_partitions(session, run_id)
        costs = (
            {}
            if previous_run_id is None
            else batch_queries.partition_totals(session, previous_run_id)
        )
    todo = longest_first([p for p in partitions if (p.task, p.number) not in done], costs)
    reporter.note(
        f"run {run_id}: {len(partitions)} partitions; {len(partitions) - len(todo)} already "
        f"finished (skipped), {len(todo)} to compute"
    )
    ranked = _rank(
        pool, dim, sessions, run_id, plan, todo, inputs, settings, encoder_name, reporter
    )
    if ranked.failure is not None:
        summary = _failure_summary(run_id, previous_run_id, partitions, todo, ranked)
        with session_scope(sessions) as session:
            fail_run(session, run_id, summary)
        raise BatchRunError(summary["message"], run_id, summary)
    t = time.perf_counter()
    with session_scope(sessions) as session:
        carried = {
            task: (
                carry_over(
                    session,
                    run_id,
                    previous_run_id,
                    task,
                    set(plan.carry(task)) - plan.patches.get(task, {}).keys(),
                )
                + patch_over(
                    session,
                    run_id,
                    previous_run_id,
                    task,
                    {k: p.results for k, p in plan.patches.get(task, {}).items()},
                )
                if previous_run_id is not None
                else 0
            )
            for task in TASKS
        }
        totals = batch_queries.partition_totals(session, run_id)
        _learnt(plan, last, ranked)
        store_plan(session, run_id, plan.to_json())
        seconds["commit"] = time.perf_counter() - t
        memory = pool.memory_mb()
        seconds["encode_queries"] = encoding.pop("wall")
        seconds["wall"] = time.perf_counter() - started
        summary = _summary(
            run_id,
            previous_run_id,
            plan,
            partitions,
            todo,
            ranked,
            carried,
            totals,
            seconds,
            resumed=resume is not None,
            pool=pool,
        )
        summary["query_encoding"] = encoding
        summary["cluster"]["worker_memory_mb"] = memory
        commit_run(session, run_id, summary)
    reporter.note(
        f"committed run {run_id}: "
        + ", ".join(
            f"{task} {q['recomputed']} recomputed / {q['carried_over']} carried over"
            for task, q in summary["queries"].items()
        )
    )
    _report(runtime, run_id, plan.as_of.date(), reporter)
    return run_id, resume is not None, summary


def longest_first(
    partitions: Sequence[Partition], costs: Mapping[str, Mapping[str, float]]
) -> list[Partition]:
    """The partitions in the order to hand them out: the costliest first (their queries
    times the seconds a query of their task took in the last run, ``partition_totals``;
    a task it did not run counts as the costliest), so the last ones to finish are small
    and no worker waits long on another at the end. Ties keep the plan's order."""
    per_query = {
        task: float(c["seconds"]) / float(c["queries"])
        for task, c in costs.items()
        if c.get("queries")
    }
    unknown = max(per_query.values(), default=1.0)
    return sorted(partitions, key=lambda p: -len(p.keys) * per_query.get(p.task, unknown))


def _report(runtime: Runtime, run_id: str, day: dt.date, reporter: Reporter) -> None:
    """The staff report of a committed run. A report that fails is logged, never turned into
    a failed run: the recommendations are committed and served either way."""
    from matcher.batch.report import write_report

    try:
        with session_scope(runtime.sessions) as session:
            path = write_report(session, run_id, runtime.settings.reports_dir, day, diff=None)
        reporter.note(f"report: {path}")
    except Exception:  # the run is committed; the report can be rebuilt
        log.exception("writing the report of run %s failed", run_id)
        reporter.note(f"the report of run {run_id} could not be written (see the log)")


def _published_dim(runtime: Runtime) -> int | None:
    """The vector size of the published collections, where every one the batch searches
    is published by this run's encoder (the refresh then upserts into them, and workers
    can load them before it finishes); None otherwise (the refresh may rebuild one from
    scratch, so the workers start after it)."""
    dims = set()
    root = runtime.settings.index_dir
    for name in COLLECTIONS:
        version = persistence.pointed_version(root, name)
        if version is None:
            return None
        try:
            manifest = persistence.read_manifest(root / name / version)
        except IndexCorruptError:
            return None
        if manifest.model != runtime.encoder.name:
            return None
        dims.add(manifest.dim)
    return dims.pop() if len(dims) == 1 else None


def _refresh_indexes(
    runtime: Runtime, reporter: Reporter, stale: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """Bring the searched collections up to date with the store: what changed since the
    published version is upserted into it (vectors from the embedding cache, so only
    changed entities are encoded) and published as a new version the workers then map. The
    base index is not retrained, so a query that meets no changed item finds exactly what
    it found last night; a collection that is missing, corrupt or of another encoder is
    built from scratch, and a base whose delta passed the compaction ratio is rebuilt.
    ``stale``: the collections whose store moved since their published version."""
    fresh = {name: runtime.indexes.refresh(name, adopt=True) for name in stale}
    # The upserted ones are served as refreshed (not loaded again); the rest are loaded,
    # and a corrupt one rebuilt.
    adopted = {
        name
        for name, made in fresh.items()
        if name in runtime.indexes.loaded() and runtime.indexes.manifest(name) == made
    }
    runtime.indexes.ensure([name for name in COLLECTIONS if name not in adopted])
    out: dict[str, dict[str, Any]] = {}
    for name in COLLECTIONS:
        manifest = runtime.indexes.manifest(name)
        made = fresh.get(name)
        extra = {} if made is None else made.extra
        out[name] = {
            "version": manifest.version,
            "count": manifest.count,
            "rebuilt": made is not None,
            "encoded": int(extra.get("cache_misses", 0)),
            "upserted": int(extra.get("upserted", 0)),
            "deleted": int(extra.get("deleted", 0)),
            "compacted": bool(extra.get("compacted", made is not None and "upserted" not in extra)),
        }
        if made is not None:
            how = (
                f"{out[name]['upserted']} upserted, {out[name]['deleted']} deleted"
                + (", base rebuilt" if out[name]["compacted"] else "")
                if "upserted" in extra
                else "built from scratch"
            )
            reporter.note(
                f"index {name}: new version {manifest.version} ({manifest.count} items; {how}; "
                f"{out[name]['encoded']} encoded, the rest from the cache)"
            )
    return out


def _encode_queries(
    pool: _Workers,
    dim: int,
    sessions: sessionmaker[Session],
    inputs: Inputs,
    settings: Settings,
    encoder_name: str,
    reporter: Reporter,
) -> tuple[dict[str, float], QueryTexts]:
    """Encode, on the workers and in batches, every query text of the run that the cache
    lacks, and store it (only changed and new queries' texts, after the first night). Also
    returns the texts, which the screening reads to find the queries' vectors."""
    started = time.perf_counter()
    with session_scope(sessions) as session:
        read = query_texts(session, inputs)
    texts = read.all()
    vectors = _QueryVectors(settings, encoder_name, dim)
    _, missing = vectors.cache.lookup(texts)
    todo = [texts[i] for i in missing]
    out = {"texts": float(len(texts)), "encoded": float(len(todo)), "worker_seconds": 0.0}
    if todo:
        client = pool.client(dim)
        chunks = even_chunks(todo, ENCODE_CHUNK, sum(client.nthreads().values()))
        futures = {client.submit(encode_texts, chunk, pure=False): chunk for chunk in chunks}
        reporter.phase("encode queries", len(futures))
        try:
            for future in _distributed().as_completed(list(futures)):
                result: EncodeResult = future.result()
                chunk = futures[future]
                vectors.store(dict(zip(chunk, result.vectors, strict=True)))
                out["worker_seconds"] += result.seconds
                reporter.advance("encode queries")
        except Exception as exc:
            client.cancel(list(futures))
            message = f"encoding the queries failed before ranking: {exc!r}; nothing was written"
            raise BatchRunError(message, None, {"message": message, "failed": "encoding"}) from exc
    out["wall"] = time.perf_counter() - started
    return out, read


# The collection each first stage searches, and the metadata field its query's scope
# filters on (a firm x center query meets only that center's importers).
_FIRST_STAGES = {INQUIRY_SUPPLIERS: ("products", None), FIRM_IMPORTERS: ("buyers", "center")}


def _index_changes(runtime: Runtime, old: Plan | None) -> dict[str, ItemChanges | None]:
    """Per searched collection, what changed since the version the last run screened
    against (None: unknown, e.g. that version is pruned or the base was rebuilt)."""
    out: dict[str, ItemChanges | None] = {}
    for name, _ in _FIRST_STAGES.values():
        indexes = old.extra.get("indexes", {}) if old is not None else {}
        version = (indexes.get(name) or {}).get("version")
        out[name] = (
            None
            if version is None
            else runtime.indexes.get(name).changes_since(
                runtime.settings.index_dir / name / str(version)
            )
        )
    return out


@dataclass
class _Screening:
    candidates: dict[str, dict[str, str]]  # task -> key -> candidate fingerprint
    screens: dict[str, dict[str, Screened]]
    timings: dict[str, float]
    screened: dict[str, dict[str, int]]  # task -> queries, screened, probed, reached, ...
    reached: dict[str, set[str]] = field(default_factory=dict)  # task -> keys to re-rank
    # task -> key -> (entry, head) of a shortlist a probe re-picked unchanged from its head
    repicked: dict[str, dict[str, tuple[float, list[tuple[int, float]], float]]] = field(
        default_factory=dict
    )
    patched: dict[str, dict[str, Patch]] = field(default_factory=dict)  # inquiries patched
    probed: dict[str, set[str]] = field(default_factory=dict)  # task -> keys probed


PROBE_CHUNK = 500  # queries per probing task (a probe is a few rows: milliseconds)


def _screen(
    runtime: Runtime,
    pool: _Workers,
    dim: int,
    inputs: Inputs,
    texts: QueryTexts,
    vectors: _QueryVectors,
    reporter: Reporter,
    old: Plan | None,
    changes: Mapping[str, ItemChanges | None],
    results: Mapping[str, Mapping[str, Mapping[str, float]]],
) -> _Screening:
    """The first stage, on the workers, of the queries whose candidates must be found
    again: every query in a full run or where the last run's screens cannot be used; new
    queries and those whose inputs changed; and those one of whose candidates is gone or
    refiled. Every other query the last run ranked keeps its candidates, patched with the
    changed items that now come within reach (``screening.reach``), and only its changed
    and entering candidates are scored (``worker.probe``): it is ranked again only where
    one can change its results (``worker.Probe``; ``results``: the last run's, with the
    scores they were shown with). A pool the entering items outgrow is cut back as its
    search would cut it, and a query that showed a row cut off is ranked again; a shortlist
    is first re-picked from its MMR pool (``Plan.heads``). A query without a recorded entry
    score (ranked by an older run, or by a partition finished before a kill) is screened
    and compared as a whole (``screening.touched``), as is every query where the screens
    keep fewer candidates than the ranking sees (``batch_candidate_depth`` below
    ``retrieval_candidates``)."""
    settings = runtime.settings
    out = _Screening(
        {task: {} for task in TASKS},
        {task: {} for task in TASKS},
        {},
        {},
        {task: set() for task in TASKS},
    )
    todo: dict[str, list[Query]] = {}
    probes: dict[str, list[Probe]] = {}
    t = time.perf_counter()
    for task, (name, scope_field) in _FIRST_STAGES.items():
        queries = inputs.queries[task]
        change = changes.get(name)
        reusable = old is not None and (
            old.task_fingerprints.get(task) == inputs.task_fingerprints[task]
            and old.extra.get("candidate_depth") == settings.batch_candidate_depth
        )
        if old is None or not reusable or change is None:
            todo[task] = list(queries)
            out.screened[task] = {"queries": len(queries), "screened": len(queries)}
            continue
        before, kept = old.fingerprints.get(task, {}), old.screens.get(task, {})
        fresh = [q for q in queries if q.key not in kept or before[q.key][0] != q.inputs]
        rest = [q for q in queries if q.key in kept and before[q.key][0] == q.inputs]
        # Probing needs a query's every ranked candidate in its screen (the default depth).
        whole = settings.batch_candidate_depth >= settings.retrieval_candidates
        bounded = [q for q in rest if whole and old.entry(task, q.key) is not None]
        unbounded = [q for q in rest if not whole or old.entry(task, q.key) is None]
        hit = _touched(
            texts.of(task, unbounded), unbounded, kept, change, scope_field, vectors, settings
        )
        reached = _reach(
            runtime,
            task,
            texts.of(task, bounded),
            bounded,
            old,
            inputs,
            change,
            scope_field,
            vectors,
        )
        todo[task] = fresh + [q for q, h in zip(unbounded, hit, strict=True) if h]
        for q, h in zip(unbounded, hit, strict=True):
            if not h:
                out.candidates[task][q.key] = before[q.key][1]
                out.screens[task][q.key] = kept[q.key]
        probes[task] = []
        left = 0
        for q, r in zip(bounded, reached, strict=True):
            if r is None or r.left:  # vectors not all cached, or a candidate is gone
                todo[task].append(q)
                left += 1
                continue
            out.candidates[task][q.key] = before[q.key][1]
            out.screens[task][q.key] = r.screen
            if r.probe:
                entry = old.entry(task, q.key)
                assert entry is not None  # bounded
                last = results.get(task, {}).get(q.key, {})
                probes[task].append(
                    Probe(
                        q,
                        r.probe,
                        r.screen.ids,
                        entry,
                        # The rows shown: a supplier's product, or the importer itself.
                        tuple(old.shown.get(task, {}).get(q.key, ()))
                        if task == INQUIRY_SUPPLIERS
                        else tuple(sorted(last)),
                        tuple(sorted(last.items())),
                        r.screen,
                        tuple(old.heads.get(task, {}).get(q.key, ())),
                        old.floor(task, q.key),
                    )
                )
        out.screened[task] = {
            "queries": len(queries),
            "screened": len(todo[task]),
            "new_or_changed": len(fresh),
            "touched": int(hit.sum()),
            "candidate_left": left,
            "probed": len(probes[task]),
            "probed_rows": sum(len(p.ids) for p in probes[task]),
            "changed_items": len(change),
        }
    timings = {
        "encode": 0.0,
        "search": 0.0,
        "encoded": 0.0,
        "probe": 0.0,
        "touch": time.perf_counter() - t,
    }
    out.timings = timings
    chunks = [
        (task, queries[start : start + SCREEN_CHUNK])
        for task, queries in todo.items()
        for start in range(0, len(queries), SCREEN_CHUNK)
    ]
    probe_chunks = [
        (task, items[start : start + PROBE_CHUNK])
        for task, items in probes.items()
        for start in range(0, len(items), PROBE_CHUNK)
    ]
    if not chunks and not probe_chunks:
        return out
    client = pool.client(dim)
    futures = [
        client.submit(
            screen, task, queries, settings.batch_top_k, settings.batch_candidate_depth, pure=False
        )
        for task, queries in chunks
    ] + [
        client.submit(probe, task, items, inputs.as_of, settings.batch_top_k, pure=False)
        for task, items in probe_chunks
    ]
    out.probed = {task: {p.query.key for p in items} for task, items in probes.items()}
    reporter.phase("first stage", len(futures))
    cut: dict[str, int] = {}  # task -> probed queries whose pool entering items outgrew
    try:
        for future in _distributed().as_completed(futures):
            result: ScreenResult | ProbeResult = future.result()
            vectors.store(result.vectors)
            timings["encode"] += result.seconds_encode
            timings["encoded"] += len(result.vectors)
            if isinstance(result, ProbeResult):
                timings["probe"] += result.seconds_probe
                out.reached[result.task].update(result.reached)
                out.screens[result.task].update(result.screens)
                cut[result.task] = cut.get(result.task, 0) + result.evicted
                out.repicked.setdefault(result.task, {}).update(result.repicked)
                out.patched.setdefault(result.task, {}).update(result.patched)
            else:
                for key, screened in result.candidates.items():
                    out.candidates[result.task][key] = inputs.candidates(screened.ids)
                    out.screens[result.task][key] = screened
                timings["search"] += result.seconds_search
            reporter.advance("first stage")
    except Exception as exc:
        client.cancel(futures)
        message = f"the first stage failed before the run started: {exc!r}; nothing was written"
        raise BatchRunError(message, None, {"message": message, "failed": "first stage"}) from exc
    for task in probes:
        out.screened[task]["reached"] = len(out.reached[task])
        out.screened[task]["pool_cut_back"] = cut.get(task, 0)
        out.screened[task]["repicked_unchanged"] = len(out.repicked.get(task, {}))
        out.screened[task]["patched"] = len(out.patched.get(task, {}))
    return out


def _changed_rows(
    runtime: Runtime, task: str, old: Plan, inputs: Inputs, name: str
) -> frozenset[int]:
    """The indexed items of ``name`` whose ranked rows changed though their indexed state
    may not have: the products of a supplier whose profile, products or history changed,
    the importers whose history changed (``Inputs.targets`` against the last run's)."""
    was, now = old.targets.get(task, {}), inputs.targets.get(task, {})
    changed = {t for t, d in now.items() if was.get(t) != d}
    if not changed:
        return frozenset()
    ids, meta = runtime.indexes.get(name).live()
    column = "exporter_external_id" if task == INQUIRY_SUPPLIERS else "external_id"
    if column not in meta.columns:
        raise RuntimeError(f"the {name} collection keeps no {column}; cannot probe {task}")
    mask = meta[column].astype(str).isin(changed).to_numpy()
    return frozenset(int(i) for i in ids[mask])


def _reach(
    runtime: Runtime,
    task: str,
    texts: Sequence[Sequence[str]],
    queries: Sequence[Query],
    old: Plan,
    inputs: Inputs,
    change: ItemChanges,
    scope_field: str | None,
    vectors: _QueryVectors,
) -> list[screening.Reach | None]:
    """``screening.reach`` for queries whose inputs did not change (None for a query whose
    vectors are not all cached: it is screened instead)."""
    if not queries:
        return []
    name = _FIRST_STAGES[task][0]
    per_query, incomplete = _cached_vectors(texts, vectors)
    kept = old.screens[task]
    item_scopes, scopes = _scopes(queries, change, scope_field)
    found = screening.reach(
        per_query,
        [kept[q.key] for q in queries],
        change,
        margin=runtime.settings.batch_screen_margin,
        also_changed=_changed_rows(runtime, task, old, inputs, name),
        scopes=scopes,
        item_scopes=item_scopes,
    )
    return [None if bad else r for r, bad in zip(found, incomplete, strict=True)]


def _cached_vectors(
    texts: Sequence[Sequence[str]], vectors: _QueryVectors
) -> tuple[list[np.ndarray], np.ndarray]:
    """Per query, its cached query vectors, and whether any is missing from the cache."""
    flat = [text for group in texts for text in group]
    found, missing = vectors.cache.lookup(flat)
    lacking = np.zeros(len(flat), dtype=bool)
    lacking[list(missing)] = True
    per_query: list[np.ndarray] = []
    incomplete = np.zeros(len(texts), dtype=bool)
    start = 0
    for n, group in enumerate(texts):
        stop = start + len(group)
        incomplete[n] = bool(lacking[start:stop].any())
        per_query.append(found[start:stop])
        start = stop
    return per_query, incomplete


def _scopes(
    queries: Sequence[Query], change: ItemChanges, scope_field: str | None
) -> tuple[list[frozenset[str] | None] | None, list[str | None] | None]:
    """The values a changed item carries in the field the queries filter on, and each
    query's (None: no such field)."""
    if scope_field is None:
        return None, None
    item_scopes = [
        None if meta is None else filed_under("single", meta.get(scope_field))
        for meta in change.meta
    ]
    return item_scopes, [None if q.scope is None else normalize(q.scope) for q in queries]


def _touched(
    texts: Sequence[Sequence[str]],
    queries: Sequence[Query],
    kept: Mapping[str, Screened],
    change: ItemChanges,
    scope_field: str | None,
    vectors: _QueryVectors,
    settings: Settings,
) -> np.ndarray:
    """Which of ``queries`` (inputs unchanged since their screen ``kept``) a changed item can
    reach (``texts``: each one's first-stage texts); a query whose vectors are not all cached
    is screened anyway."""
    if not queries:
        return np.zeros(0, dtype=bool)
    per_query, incomplete = _cached_vectors(texts, vectors)
    item_scopes, scopes = _scopes(queries, change, scope_field)
    hit = screening.touched(
        per_query,
        [kept[q.key] for q in queries],
        change,
        margin=settings.batch_screen_margin,
        scopes=scopes,
        item_scopes=item_scopes,
    )
    out: np.ndarray = hit | incomplete
    return out


@dataclass
class _Ranked:
    written: int = 0
    rows: int = 0
    encode: float = 0.0
    rank: float = 0.0
    encoded: int = 0  # query texts the workers had to encode while ranking
    vanished: int = 0
    failure: tuple[Partition, str] | None = None
    entries: dict[str, dict[str, float]] = field(default_factory=dict)  # task -> key -> entry
    shown: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # task -> key -> rows
    heads: dict[str, dict[str, list[tuple[int, float]]]] = field(default_factory=dict)
    floors: dict[str, dict[str, float]] = field(default_factory=dict)  # task -> key -> floor


def _learnt(plan: Plan, last: Plan | None, ranked: _Ranked) -> None:
    """Set what the next run probes against: each query's entry score, shown rows and head,
    from this run's partitions, or for the queries carried over the last run's, updated
    where a probe re-picked the query unchanged from a changed head (set in the plan before
    ranking); none for the partitions a killed run had finished: those queries are
    screened whole next time."""
    before = last if last is not None and not plan.full else None
    for task in TASKS:
        keys = plan.carry(task)
        carried = set(keys)
        entries = before.entries.get(task, {}) if before is not None else {}
        shown = before.shown.get(task, {}) if before is not None else {}
        heads = before.heads.get(task, {}) if before is not None else {}
        repicked_entries = plan.entries.get(task, {})
        repicked_heads = plan.heads.get(task, {})
        repicked_floors = plan.floors.get(task, {})
        plan.entries[task] = {k: entries[k] for k in keys if k in entries}
        plan.entries[task].update({k: v for k, v in repicked_entries.items() if k in carried})
        plan.entries[task].update(ranked.entries.get(task, {}))
        plan.shown[task] = {k: shown[k] for k in keys if k in shown}
        plan.shown[task].update(ranked.shown.get(task, {}))
        plan.heads[task] = {k: heads[k] for k in keys if k in heads}
        plan.heads[task].update({k: v for k, v in repicked_heads.items() if k in carried})
        plan.heads[task].update(ranked.heads.get(task, {}))
        # A carried head keeps its floor (a head recorded without one keeps meaning its
        # entry score, ``Plan.floor``).
        floors: dict[str, float | None] = {
            k: before.floor(task, k) for k in keys if before is not None and k in heads
        }
        floors.update({k: v for k, v in repicked_floors.items() if k in carried})
        floors.update(ranked.floors.get(task, {}))
        plan.floors[task] = floors
        for key, patch in plan.patches.get(task, {}).items():
            if key in carried:
                plan.entries[task][key] = patch.entry
                if patch.shown:
                    plan.shown[task][key] = list(patch.shown)
                if patch.head:
                    plan.heads[task][key] = list(patch.head)
                    plan.floors[task][key] = patch.floor


def _rank(
    pool: _Workers,
    dim: int,
    sessions: sessionmaker[Session],
    run_id: str,
    plan: Plan,
    todo: Sequence[Partition],
    inputs: Inputs,
    settings: Settings,
    encoder_name: str,
    reporter: Reporter,
) -> _Ranked:
    """Rank the partitions on the workers; write each one as it finishes. Stops at the first
    failure (the rest are cancelled: the run fails as a whole)."""
    out = _Ranked()
    if not todo:
        return out
    client = pool.client(dim)
    vectors = _QueryVectors(settings, encoder_name, dim)
    subjects: dict[str, dict[str, Query]] = {task: inputs.by_key(task) for task in TASKS}
    futures = {}
    for partition in todo:
        queries = [
            subjects[partition.task][k] for k in partition.keys if k in subjects[partition.task]
        ]
        out.vanished += len(partition.keys) - len(queries)  # gone since the plan was made
        future = client.submit(
            rank_partition,
            partition.task,
            partition.number,
            queries,
            plan.as_of,
            settings.batch_top_k,
            key=f"rank-{partition.task}-{partition.number}-{run_id}",
            pure=False,
        )
        futures[future] = partition
    reporter.phase("rank", len(futures))
    for future in _distributed().as_completed(list(futures)):
        partition = futures[future]
        try:
            result: PartitionResult = future.result()
        except Exception as exc:
            out.failure = (partition, f"{type(exc).__name__}: {exc}")
            client.cancel([f for f in futures if not f.done()])
            break
        write_partition(
            sessions,
            run_id,
            partition.task,
            partition.number,
            result.queries,
            result.recommendations,
            result.seconds_encode + result.seconds_rank,
        )
        vectors.store(result.vectors)
        out.entries.setdefault(partition.task, {}).update(result.entries)
        out.shown.setdefault(partition.task, {}).update(
            {k: list(v) for k, v in result.shown.items()}
        )
        out.heads.setdefault(partition.task, {}).update(
            {k: list(v) for k, v in result.heads.items()}
        )
        out.floors.setdefault(partition.task, {}).update(result.floors)
        out.encoded += len(result.vectors)
        out.written += 1
        out.rows += len(result.recommendations)
        out.encode += result.seconds_encode
        out.rank += result.seconds_rank
        reporter.advance("rank")
    return out


def _failure_summary(
    run_id: str,
    previous_run_id: str | None,
    partitions: Sequence[Partition],
    todo: Sequence[Partition],
    ranked: _Ranked,
) -> dict[str, Any]:
    assert ranked.failure is not None
    partition, error = ranked.failure
    finished = len(partitions) - len(todo) + ranked.written
    kept = (
        f"run {previous_run_id} stays served"
        if previous_run_id is not None
        else "no run was served before, and none is now"
    )
    message = (
        f"partition {partition.number} of {partition.task} failed ({error}); "
        f"{finished} of {len(partitions)} partitions were written and are kept under run "
        f"{run_id}, which is not served; {kept}"
    )
    return {
        "message": message,
        "failed": [
            {
                "task": partition.task,
                "partition": partition.number,
                "queries": list(partition.keys),
                "error": error,
            }
        ],
        "partitions": {"total": len(partitions), "written": finished},
        "served_run": previous_run_id,
    }


def _summary(
    run_id: str,
    previous_run_id: str | None,
    plan: Plan,
    partitions: Sequence[Partition],
    todo: Sequence[Partition],
    ranked: _Ranked,
    carried: Mapping[str, int],
    totals: Mapping[str, Mapping[str, float]],
    seconds: Mapping[str, float],
    *,
    resumed: bool,
    pool: _Workers,
) -> dict[str, Any]:
    screen = plan.extra.get("screen_seconds", {})
    return {
        "run_id": run_id,
        "kind": "full" if plan.full else "incremental",
        "as_of": plan.as_of.isoformat(),
        "previous_run_id": previous_run_id,
        "resumed": resumed,
        "queries": {
            task: {
                "total": len(plan.fingerprints[task]),
                "recomputed": len(plan.recompute[task]),
                "carried_over": len(plan.carry(task)),
                "why": plan.reasons.get(task, {}),
            }
            for task in TASKS
        },
        "partitions": {
            "total": len(partitions),
            "skipped": len(partitions) - len(todo),
            "computed": len(todo),
            "vanished_queries": ranked.vanished,
        },
        "rows": {
            task: {
                "recomputed": int(totals.get(task, {}).get("rows", 0)),
                "carried_over": int(carried.get(task, 0)),
            }
            for task in TASKS
        },
        "seconds": {
            **{k: round(v, 3) for k, v in seconds.items()},
            "worker_first_stage_encode": round(float(screen.get("encode", 0.0)), 3),
            "worker_first_stage_search": round(float(screen.get("search", 0.0)), 3),
            "worker_first_stage_probe": round(float(screen.get("probe", 0.0)), 3),
            "worker_encode": round(ranked.encode, 3),
            "worker_rank": round(ranked.rank, 3),
            "partitions_all_attempts": round(
                sum(float(t.get("seconds", 0.0)) for t in totals.values()), 3
            ),
        },
        "encoded_queries_first_stage": int(screen.get("encoded", 0)),
        "encoded_queries_ranking": ranked.encoded,
        "indexes": plan.extra.get("indexes", {}),
        # per task with a first stage: queries, screened, and why (new or changed inputs,
        # reached by a changed item); the rest kept the last run's candidates unscreened
        "screened": plan.extra.get("screened", {}),
        "cluster": {
            "scheduler": pool.address or "LocalCluster",
            "workers": pool.workers if not pool.address else None,
            "processes": pool.processes,
        },
    }


def nightly_job(
    settings: Settings, **options: Any
) -> Callable[[], BatchOutcome | None]:  # pragma: no cover - thin wrapper for the scheduler
    """The scheduled job: one run; a run already holding the lock is logged, not raised."""

    def job() -> BatchOutcome | None:
        from matcher.errors import ConflictError

        try:
            return run_nightly(settings, **options)
        except ConflictError as exc:
            log.warning("nightly batch skipped: %s", exc)
        except BatchRunError as exc:
            log.error("nightly batch failed: %s", exc)
        return None

    return job
