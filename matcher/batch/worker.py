"""What runs on a Dask worker: the services, loaded once per worker, and the two kinds of
task (screen a chunk of queries, rank a partition).

Why a ``WorkerPlugin``: loading the encoder, the indexes and the pair context costs seconds
to minutes, ranking one query milliseconds, so each worker loads them once in ``setup`` (the
indexes memory-mapped, so workers on one host share the pages) and every task reuses them.

Query vectors go through the embedding cache, read-only here: the cache is append-only shards
numbered by one writer, so a worker returns what it encoded and the driver stores it. The
driver first has every query text missing from the cache encoded in batches of
``ENCODE_CHUNK`` (``encode_texts``: batched encoding costs a fraction of one query at a
time), and a worker re-reads the cache's shard list at the start of each task, so screening
and ranking find their vectors there; ``CachedQueries`` still encodes what is missing (a
text that changed after the driver listed it).
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from distributed import WorkerPlugin
from threadpoolctl import threadpool_limits

from matcher.batch.plan import Patch
from matcher.batch.queries import FIRM_IMPORTERS, INQUIRY_SUPPLIERS, SERVICE_PARTNERS, Query
from matcher.batch.screening import Screened, top_candidates
from matcher.config import Settings
from matcher.embedding.cache import EmbeddingCache
from matcher.embedding.encoders import Encoder, Vectors
from matcher.errors import InputValidationError, NotFoundError
from matcher.features import registry
from matcher.pairing.service import OfferCatalogue
from matcher.ranking.pipeline import HEAD_DEPTH
from matcher.storage.batch_runs import Patched, Recommendation

if TYPE_CHECKING:
    from matcher.matching.service import Explained, ScoredProbe

PLUGIN_NAME = "tradematch-batch"


def query_cache_name(encoder_name: str) -> str:
    """The cache of *query* vectors, apart from the documents' (e5 prefixes them differently,
    so one text has two vectors)."""
    return f"{encoder_name}@query"


class CachedQueries:
    """An ``Encoder`` whose query vectors come from the embedding cache where present; the
    ones it encodes are kept for this worker and reported (``drain``) for the driver to store.
    Documents pass straight through (the batch encodes none)."""

    def __init__(self, encoder: Encoder, cache_root: Path, dim: int) -> None:
        self.encoder = encoder
        self.cache = EmbeddingCache(cache_root, query_cache_name(encoder.name), dim)
        self._dim = dim
        self._own: dict[str, np.ndarray] = {}
        self._unreported: list[str] = []
        self.seconds = 0.0  # spent encoding or looking up, for the summary
        self.encoded = 0

    @property
    def name(self) -> str:
        return self.encoder.name

    @property
    def dim(self) -> int:
        return self._dim

    def encode_queries(self, texts: Sequence[str]) -> Vectors:
        start = time.perf_counter()
        out, missing = self.cache.lookup(texts)
        todo = sorted({texts[i] for i in missing if texts[i] not in self._own})
        if todo:
            vectors = self.encoder.encode_queries(todo)
            for text, vector in zip(todo, vectors, strict=True):
                self._own[text] = vector
            self._unreported.extend(todo)
            self.encoded += len(todo)
        for i in missing:
            out[i] = self._own[texts[i]]
        self.seconds += time.perf_counter() - start
        return out

    def encode_documents(self, texts: Sequence[str], *, show_progress: bool = False) -> Vectors:
        return self.encoder.encode_documents(texts, show_progress=show_progress)

    def drain(self) -> dict[str, np.ndarray]:
        """The vectors encoded since the last drain (for the driver to store)."""
        out = {text: self._own[text] for text in self._unreported}
        self._unreported = []
        return out


class Services:
    """One worker's runtime and services, built once."""

    def __init__(self, settings: Settings, dim: int) -> None:
        from matcher.runtime import Runtime
        from matcher.storage import repository
        from matcher.storage.database import session_scope
        from matcher.storage.tables import ServiceOfferingRow

        self.runtime = Runtime(settings)
        self.queries = CachedQueries(self.runtime.encoder, settings.cache_dir, dim)
        # The services read the encoder from the runtime: give them the caching one.
        self.runtime.encoder = self.queries
        self.match = self.runtime.match_service()
        self.shortlist = self.runtime.shortlist_service()
        self.pairing = self.runtime.pairing_service()
        with session_scope(self.runtime.sessions) as session:
            self.offerings = {
                int(r["id"]): str(r["external_id"])
                for r in repository.iter_table(session, ServiceOfferingRow, ("id", "external_id"))
            }
        self._catalogue: OfferCatalogue | None = None

    def catalogue(self, as_of: dt.datetime) -> OfferCatalogue:
        """The partner search's offerings and track counts, read once per run's moment
        (not once per manufacturer)."""
        if self._catalogue is None or self._catalogue.at != as_of:
            self._catalogue = self.pairing.catalogue(as_of)
        return self._catalogue

    def close(self) -> None:
        self.runtime.engine.dispose()


class BatchWorker(WorkerPlugin):
    """Builds ``Services`` on each worker from the driver's ``Settings``. ``torch_threads``:
    the threads of torch, onnxruntime's encoding, BLAS/OpenMP and FAISS's batch search, per
    worker process (1, so N workers on N cores do not oversubscribe); None leaves them, for
    workers that are threads of the driver's own process."""

    idempotent = False  # a new night's registration replaces the last (new index versions)

    def __init__(self, settings: Settings, dim: int, torch_threads: int | None = 1) -> None:
        self.settings = settings
        self.dim = dim
        self.torch_threads = torch_threads
        self.services: dict[str, Services] = {}  # by worker address (in-process workers share)
        self._native: Any = None  # the thread-pool limits set up in this worker process

    def setup(self, worker: Any) -> None:
        if self.torch_threads is not None:
            import torch

            torch.set_num_threads(self.torch_threads)
            # numpy's OpenBLAS and FAISS's OpenMP too: idle pool threads spin-wait.
            self._native = threadpool_limits(limits=self.torch_threads)
            settings = self.settings.model_copy(
                update={
                    "encoder_threads": self.torch_threads,
                    "index_batch_threads": self.torch_threads,
                }
            )
        else:
            settings = self.settings
        services = Services(settings, self.dim)
        # Loaded here rather than by the first task: a run that starts its workers early
        # loads it while the driver refreshes the indexes.
        services.runtime.pair_context()
        self.services[worker.address] = services

    def teardown(self, worker: Any) -> None:
        services = self.services.pop(worker.address, None)
        if services is not None:
            services.close()
        if self._native is not None:
            self._native.restore_original_limits()
            self._native = None


def _services() -> Services:
    from distributed import get_worker

    worker = get_worker()
    plugin = worker.plugins.get(PLUGIN_NAME)
    if not isinstance(plugin, BatchWorker) or worker.address not in plugin.services:
        raise RuntimeError(f"the batch worker plugin is not set up on {worker.address}")
    return plugin.services[worker.address]


# --- query encoding: the texts no run has encoded yet ------------------------------------


@dataclass
class EncodeResult:
    vectors: np.ndarray  # one row per text, in the order given
    seconds: float


def encode_texts(texts: Sequence[str]) -> EncodeResult:
    """A chunk of query texts, encoded in batches by this worker's encoder (the driver
    stores them in the cache, the one writer)."""
    services = _services()
    start = time.perf_counter()
    vectors = services.queries.encoder.encode_queries(list(texts))
    return EncodeResult(vectors, time.perf_counter() - start)


# --- screening: the first stage of every query ---------------------------------------------


# The fields a firm's importer search filters on (its center, and its products' headings).
_FIRM_FIELDS = ("center", "hs")


@dataclass
class ScreenResult:
    task: str
    candidates: dict[str, Screened]  # query key -> the top of its first stage
    vectors: dict[str, np.ndarray]  # query texts this worker encoded
    seconds_encode: float
    seconds_search: float


def screen(task: str, queries: Sequence[Query], top_k: int, depth: int) -> ScreenResult:
    """The first stage of each query, without ranking: what an incremental run compares."""
    from matcher.matching.service import request_for_need
    from matcher.matching.shortlist import ShortlistRequest
    from matcher.storage import repository
    from matcher.storage.database import session_scope
    from matcher.storage.tables import NeedRow

    services = _services()
    services.queries.cache.refresh()
    start, encoding = time.perf_counter(), services.queries.seconds
    out: dict[str, Screened] = {}
    with session_scope(services.runtime.sessions) as session:
        for query in queries:
            if task == INQUIRY_SUPPLIERS:
                need = session.get(NeedRow, query.subject)
                if need is None:
                    out[query.key] = top_candidates({}, depth)
                    continue
                request = request_for_need(need, top_k)
                where = request.filters.to_where()
                fields = {"hs", *where.values, *where.all_values, *where.max_values}
                frame, pool_spread = services.match.first_stage(
                    request, services.match.encode(request)
                )
                similarity = dict(
                    zip(
                        (int(i) for i in frame["product_id"]),
                        (float(s) for s in frame["similarity"]),
                        strict=True,
                    )
                )
                out[query.key] = top_candidates(similarity, depth, fields, pool_spread)
            elif task == FIRM_IMPORTERS:
                documents = repository.product_documents_of(session, query.subject)
                if not documents:
                    out[query.key] = top_candidates({}, depth)
                    continue
                best, ranked, spread = services.shortlist.first_stage(
                    ShortlistRequest(query.subject, query.scope, top_k),
                    documents,
                    services.shortlist.encode(documents),
                )
                out[query.key] = top_candidates(
                    {i: best[i] for i in ranked}, depth, _FIRM_FIELDS, spread
                )
            else:
                raise ValueError(f"{task} has no per-query first stage")
    encode = services.queries.seconds - encoding
    return ScreenResult(
        task, out, services.queries.drain(), encode, time.perf_counter() - start - encode
    )


# --- ranking: one partition ----------------------------------------------------------------


@dataclass
class PartitionResult:
    task: str
    number: int
    queries: int
    recommendations: list[Recommendation]
    vectors: dict[str, np.ndarray] = field(default_factory=dict)
    seconds_encode: float = 0.0
    seconds_rank: float = 0.0
    entries: dict[str, float] = field(default_factory=dict)  # query key -> its entry score
    shown: dict[str, tuple[str, ...]] = field(default_factory=dict)  # key -> rows shown
    heads: dict[str, tuple[tuple[int, float], ...]] = field(default_factory=dict)  # MMR pools
    floors: dict[str, float] = field(default_factory=dict)  # key -> its head's floor


def settle_ties(recommendations: list[Recommendation]) -> list[Recommendation]:
    """Equal scores in target-id order, ranks renumbered 1..n: a tie broken by the order
    candidates came out of the index would make equal inputs give different outputs."""
    out: list[Recommendation] = []
    i = 0
    while i < len(recommendations):
        j = i
        while j < len(recommendations) and recommendations[j].score == recommendations[i].score:
            j += 1
        out.extend(sorted(recommendations[i:j], key=lambda r: r.target_id))
        i = j
    return [
        Recommendation(r.task, r.query_key, n, r.target_id, r.score, r.probability, r.reasons)
        for n, r in enumerate(out, start=1)
    ]


def _score(value: float) -> float:
    return round(float(value), 4)


@dataclass(frozen=True)
class QueryRanking:
    """One query's recommendations, best first; its entry score (what a candidate must
    score to change them, ``RankOutcome.entry_score``); and the rows they were shown from
    (a supplier's product, external ids; empty for the other tasks)."""

    recommendations: list[Recommendation]
    entry: float = -math.inf
    shown: tuple[str, ...] = ()
    head: tuple[tuple[int, float], ...] = ()  # a shortlist's MMR pool (``RankOutcome.head``)
    floor: float = -math.inf  # ``RankOutcome.floor``


def rank_query(services: Services, query: Query, as_of: dt.datetime, top_k: int) -> QueryRanking:
    """One query's ranking (no recommendations where the subject is gone or has nothing to
    rank, e.g. a firm without products)."""
    from matcher.matching.service import request_for_need
    from matcher.matching.shortlist import ShortlistRequest
    from matcher.storage.database import session_scope
    from matcher.storage.tables import NeedRow

    task, key = query.task, query.key
    out: list[Recommendation] = []
    entry = -math.inf
    shown: tuple[str, ...] = ()
    head: tuple[tuple[int, float], ...] = ()
    floor = -math.inf
    if task == INQUIRY_SUPPLIERS:
        with session_scope(services.runtime.sessions) as session:
            need = session.get(NeedRow, query.subject)
            request = None if need is None else request_for_need(need, top_k)
        if request is None:
            return QueryRanking([])
        matched = services.match.match(request, now=as_of)
        entry = matched.entry_score
        shown = tuple(str(m.product["id"]) for m in matched.results)
        for m in matched.results:
            out.append(
                Recommendation(
                    task,
                    key,
                    m.rank,
                    str(m.supplier["id"]),
                    _score(m.score),
                    m.probability,
                    [{"en": r.en, "ko": r.ko} for r in m.reasons],
                )
            )
    elif task == FIRM_IMPORTERS:
        try:
            result = services.shortlist.shortlist(
                ShortlistRequest(query.subject, query.scope, top_k), now=as_of
            )
        except InputValidationError:
            return QueryRanking([])  # a firm without products has no importers to find
        entry, head, floor = result.entry_score, result.head, result.floor
        for i in result.results:
            out.append(
                Recommendation(
                    task,
                    key,
                    i.rank,
                    str(i.buyer["external_id"]),
                    _score(i.score),
                    i.probability,
                    [{"en": r.en, "ko": r.ko} for r in i.reasons],
                )
            )
    elif task == SERVICE_PARTNERS:
        assert query.scope is not None
        try:
            partners = services.pairing.partners(
                query.subject,
                query.scope,
                top_k,
                now=as_of,
                catalogue=services.catalogue(as_of),
                exclusions=False,
            )
        except (NotFoundError, InputValidationError):
            return QueryRanking([])  # gone, or no longer a manufacturer
        for n, p in enumerate(partners.results, start=1):
            offering = services.offerings.get(p.offer.offering_id) or _offering(
                services, p.offer.offering_id
            )
            out.append(
                Recommendation(
                    task,
                    key,
                    n,
                    offering,
                    _score(p.score),
                    None,
                    [
                        {"en": en, "ko": ko}
                        for en, ko in zip(p.reasons_en, p.reasons_ko, strict=True)
                    ],
                )
            )
    else:
        raise ValueError(f"unknown batch task {task!r}")
    return QueryRanking(settle_ties(out), entry, shown, head, floor)


def _offering(services: Services, offering_id: int) -> str:
    """An offering created after this worker started (not in its map)."""
    from matcher.storage.database import session_scope
    from matcher.storage.tables import ServiceOfferingRow

    with session_scope(services.runtime.sessions) as session:
        row = session.get(ServiceOfferingRow, offering_id)
        external = str(offering_id) if row is None else row.external_id
    services.offerings[offering_id] = external
    return external


def rank_partition(
    task: str, number: int, queries: Sequence[Query], as_of: dt.datetime, top_k: int
) -> PartitionResult:
    services = _services()
    services.queries.cache.refresh()
    start, encoding = time.perf_counter(), services.queries.seconds
    recommendations: list[Recommendation] = []
    entries: dict[str, float] = {}
    shown: dict[str, tuple[str, ...]] = {}
    heads: dict[str, tuple[tuple[int, float], ...]] = {}
    floors: dict[str, float] = {}
    for query in queries:
        ranking = rank_query(services, query, as_of, top_k)
        recommendations.extend(ranking.recommendations)
        entries[query.key] = ranking.entry
        if ranking.shown:
            shown[query.key] = ranking.shown
        if ranking.head:
            heads[query.key] = ranking.head
            floors[query.key] = ranking.floor
    encode = services.queries.seconds - encoding
    return PartitionResult(
        task,
        number,
        len(queries),
        recommendations,
        services.queries.drain(),
        encode,
        time.perf_counter() - start - encode,
        entries,
        shown,
        heads,
        floors,
    )


# --- probing: the changed candidates of queries the last run ranked ------------------------


@dataclass(frozen=True)
class Probe:
    """One query to probe: the candidates to score (changed or entering), its whole
    candidate pool (the reference for similarity percentiles), and what its last ranking
    left: its entry score, the rows its results were shown from and their scores by target
    (a supplier's products: its best one is what counts)."""

    query: Query
    ids: tuple[int, ...]
    pool: tuple[int, ...]
    entry: float
    shown: tuple[str, ...] = ()
    results: tuple[tuple[str, float], ...] = ()
    screen: Screened | None = None  # the patched first stage (its spread cuts the pool back)
    head: tuple[tuple[int, float], ...] = ()  # a shortlist's MMR pool, scored (re-picked)
    floor: float = -math.inf  # what every candidate outside ``head`` scores at most


@dataclass
class ProbeResult:
    task: str
    reached: set[str]  # query keys whose results a probed candidate can change
    vectors: dict[str, np.ndarray]
    seconds_encode: float
    seconds_probe: float
    screens: dict[str, Screened] = field(default_factory=dict)  # pools cut back, by key
    evicted: int = 0  # queries whose pool was cut back
    # Shortlists a changed importer entered whose picks stay as they were: their new entry
    # score and head (``RankingPipeline.repick``), for the plan.
    repicked: dict[str, tuple[float, list[tuple[int, float]], float]] = field(default_factory=dict)
    # Inquiries whose results are patched with the probed suppliers instead (``_patch``).
    patched: dict[str, Patch] = field(default_factory=dict)


_TIE = 1e-4  # scores are stored to 4 decimals: this close may tie into the results


def _reaches(item: Probe, rows: Sequence[tuple[str, str, float]]) -> bool:
    """Whether probed rows (row id, target id, new score) can change the query's results:
    a row that was shown changed; or a row scores at or above the entry score, unless its
    target is shown already from a row that still scores higher (another product of a
    supplier in the results, below the one shown)."""
    shown = set(item.shown)
    results = dict(item.results)
    for row, target, score in rows:
        if row in shown:
            return True
        if score == -math.inf or score < item.entry - _TIE:
            continue
        if target not in results or score >= results[target] - _TIE:
            return True
    return False


def _shown_row(score: float, said: Explained) -> tuple[float, float | None, list[dict[str, Any]]]:
    """A patched row as ``rank_query`` writes it: the rounded score and probability, and
    the reasons in both languages."""
    reasons, probability = said
    return (
        _score(score),
        None if probability is None else round(probability, 4),
        [{"en": r.en, "ko": r.ko} for r in reasons],
    )


def _patch(item: Probe, found: ScoredProbe, top_k: int) -> Patch | None:
    """An inquiry's results with its probed suppliers put in their place, where that is
    what ranking it again would give; None (rank it again) where it may not be.

    The supplier search ranks by score alone, one row per supplier (its best product), so
    its results are the top k suppliers by their best row, and every candidate not shown
    scores at most the entry score (the k-th). Per probed supplier, its best probed row
    can be put in place exactly when:

    - the row it is shown from was probed: then every product of it in the pool was
      scored too (``SupplierProbe.shown``), so its best row is known, and it stays where
      it does not fall below what it was shown with, or stays clear above the entry score
      (a row that fell further may give way to a candidate no one scored);
    - or it is shown from another row, and the probed one outscores that;
    - or it is not shown, and the probed row outscores the entry score.

    A row within rounding of the score it is compared with, or a cut at the k-th place
    between rounded scores, is left to ranking. The new rows carry the reasons and
    probability ``rank`` gives them (``MatchService.score_candidates``); the others keep
    their rows, re-numbered. Results are ordered as ``settle_ties`` leaves them: by rounded
    score, then supplier id."""
    shown = set(item.shown)
    results = dict(item.results)
    explained = found.explained or (None,) * len(found.ids)
    by_target: dict[str, list[tuple[str, float, Explained | None]]] = {}
    for product, target, score, said in zip(
        found.external, found.targets, found.scores, explained, strict=True
    ):
        by_target.setdefault(target, []).append((product, score, said))
    new: dict[str, tuple[float, float | None, list[dict[str, Any]], str]] = {}
    for target, rows in by_target.items():
        product, score, said = max(rows, key=lambda row: (row[1], row[0]))
        if any(row[0] in shown for row in rows):
            if target not in results or score == -math.inf or said is None:
                return None
            if score < results[target] - _TIE and score <= item.entry + _TIE:
                return None  # fell to where an unscored candidate may pass it
        elif score == -math.inf:
            continue
        elif target in results:
            if score < results[target] - _TIE:
                continue  # below the row its supplier is shown with
            if score <= results[target] + _TIE or said is None:
                return None
        else:
            if score < item.entry - _TIE:
                continue
            if score <= item.entry + _TIE or said is None:
                return None
        assert said is not None
        new[target] = (score, *_shown_row(score, said)[1:], product)
    if not new:
        return None
    scores = {**results, **{t: row[0] for t, row in new.items()}}
    ranked = sorted(scores, key=lambda t: (-round(scores[t], 4), t))
    if len(ranked) > top_k and scores[ranked[top_k - 1]] - scores[ranked[top_k]] <= _TIE:
        return None  # the k-th place is decided between rounded scores
    order = tuple(ranked[:top_k])
    return Patch(
        Patched(
            order,
            {t: (_score(row[0]), row[1], row[2]) for t, row in new.items() if t in order},
        ),
        scores[order[-1]] if len(order) >= top_k else -math.inf,
        (*item.shown, *sorted({row[3] for row in new.values()} - shown)),
    )


@dataclass(frozen=True)
class _Repicked:
    """A shortlist's picks re-made from its head (``_repick``): the new entry score, head
    and floor, and where an importer it shows changed, the patch that shows its new row."""

    entry: float
    head: list[tuple[int, float]]
    floor: float
    patch: Patch | None = None


def _repick(services: Services, item: Probe, found: ScoredProbe, top_k: int) -> _Repicked | None:
    """Whether a shortlist's picks stay as they are after its probe, from the head its last
    ranking left (``Probe.head``: the MMR pool and as many candidates below it, every other
    candidate scoring at most ``Probe.floor``). The probed importers' new scores replace
    the head's, or join it where they score above the floor; the candidates above the
    floor are then known in order, and where they fill the MMR pool it is picked from again
    as ranking picks (``RankingPipeline.repick``). None (re-rank it) where the picks change,
    where a head member is pushed out of the first stage, or where fewer candidates than
    the pool holds stay above the floor (the next ones are unscored here). Otherwise its
    new entry score, head (the candidates above the floor, at most ``HEAD_DEPTH`` pools)
    and floor; where an importer it shows changed, also the patch that shows that
    importer's new row (score, probability and reasons as ranking gives them,
    ``ScoredProbe.explained``), the others kept, in the order ranking leaves them (pick
    order, equal rounded scores by importer id)."""
    head = dict(item.head)
    floor = item.floor
    if set(found.evicted_ids) & head.keys():
        return None
    changed = False
    for importer, score in zip(found.ids, found.scores, strict=True):
        if importer in head:
            changed = changed or score != head[importer]
            head[importer] = score
        elif score > floor:
            head[importer] = score
            changed = True
    shown = set(found.external) & set(item.shown)
    if not changed and not shown:
        return _Repicked(item.entry, list(item.head), floor)
    pipeline = services.shortlist.pipeline
    looked = pipeline.looked(top_k)
    # Every candidate outside the head scores at most the floor: those above it are known.
    keys = np.asarray(list(head), dtype=np.int64)
    values = np.asarray([head[i] for i in keys.tolist()], dtype=float)
    known = values > floor
    if floor > -math.inf and int(known.sum()) < looked:
        return None
    # The head's members first, then the newcomers (``head`` keeps insertion order): one
    # read of the profiles serves both picks, the last run's being the first rows'. The
    # last picks are picked again rather than read from the results: those hold external
    # ids with equal scores re-ordered (``settle_ties``), not the pick order compared here.
    columns = services.shortlist.context().buyer_columns(keys)
    held = len(item.head)
    before = registry.Columns.from_arrays(
        {name: np.asarray(column)[:held] for name, column in columns.items()}
    )
    after = registry.Columns.from_arrays(
        {name: np.asarray(column)[known] for name, column in columns.items()}
    )
    was, _, _ = pipeline.repick(
        keys[:held], np.asarray([v for _, v in item.head]), before, top_k, "buyer"
    )
    now, entry, ranked = pipeline.repick(keys[known], values[known], after, top_k, "buyer")
    if now != was:
        return None
    depth = HEAD_DEPTH * looked
    kept = ranked[:depth]
    new_floor = ranked[depth][1] if len(ranked) > depth else floor
    patch = _shown_anew(services, item, found, now, entry, kept, new_floor) if shown else None
    if shown and patch is None:
        return None
    return _Repicked(entry, list(kept), new_floor, patch)


def _shown_anew(
    services: Services,
    item: Probe,
    found: ScoredProbe,
    picks: Sequence[int],
    entry: float,
    head: tuple[tuple[int, float], ...],
    floor: float,
) -> Patch | None:
    """The patch of a shortlist whose picks stay but one of whose shown importers changed:
    its new row from the probe (None where the probe did not explain it), the others as
    the last run showed them, ordered as ``settle_ties`` orders ranking's picks."""
    results = dict(item.results)
    shown = set(item.shown)
    explained = found.explained or (None,) * len(found.ids)
    rows: dict[str, tuple[float, float | None, list[dict[str, Any]]]] = {}
    for importer, score, said in zip(found.external, found.scores, explained, strict=True):
        if importer not in shown:
            continue
        if said is None:
            return None
        rows[importer] = _shown_row(score, said)
    named = services.shortlist.indexes.get("buyers").rows(np.asarray(picks, dtype=np.int64))
    external = {int(i): str(x) for i, x in zip(named.index, named["external_id"], strict=True)}
    targets = [external.get(int(i)) for i in picks]
    if any(t is None or (t not in rows and t not in results) for t in targets):
        return None  # an importer the last run showed is not known by its id any more
    ordered = settle_ties(
        [
            Recommendation(
                FIRM_IMPORTERS,
                item.query.key,
                n,
                str(t),
                rows[t][0] if t in rows else float(results[str(t)]),
                None,
                [],
            )
            for n, t in enumerate(targets, start=1)
        ]
    )
    return Patch(
        Patched(tuple(r.target_id for r in ordered), rows),
        entry,
        (),
        head,
        floor,
    )


def _cut_back(
    item: Probe, found: ScoredProbe, screens: dict[str, Screened], pushed: set[str]
) -> None:
    """Where the probe cut the query's pool back as its search would: its screen for the
    next run, and whether a row it showed is no candidate any more (then it is re-ranked)."""
    if found.pool is None or item.screen is None:
        return
    screens[item.query.key] = replace(
        item.screen, ids=tuple(sorted(found.pool)), threshold=found.floor
    )
    if set(found.evicted) & set(item.shown):
        pushed.add(item.query.key)


def probe(task: str, probes: Sequence[Probe], as_of: dt.datetime, top_k: int) -> ProbeResult:
    """Score only each query's changed and entering candidates, as its ranking would
    (``RankingPipeline.score_rows``), all the chunk's queries in one pass (a probe is a few
    rows: per query, the calls would cost more than the rows); the driver re-ranks a query
    only where one can change its results (``_reaches``), where the pool is cut back past a
    row it showed (``_cut_back``), or, for a shortlist with a recorded MMR pool, where the
    picks from that pool change (``_repick``)."""
    from matcher.matching.service import SupplierProbe, request_for_need
    from matcher.matching.shortlist import ImporterProbe, ShortlistRequest, headings_of
    from matcher.storage import repository
    from matcher.storage.database import session_scope
    from matcher.storage.tables import NeedRow

    services = _services()
    services.queries.cache.refresh()
    start, encoding = time.perf_counter(), services.queries.seconds
    subjects = [item.query.subject for item in probes]
    rows: dict[str, list[tuple[str, str, float]]] = {}
    screens: dict[str, Screened] = {}
    pushed: set[str] = set()  # re-rank: a shown row pushed out, or the picks change
    repicked: dict[str, tuple[float, list[tuple[int, float]], float]] = {}
    patched: dict[str, Patch] = {}
    if task == INQUIRY_SUPPLIERS:
        with session_scope(services.runtime.sessions) as session:
            needs = repository.rows_by_id(session, NeedRow, subjects)
            asked = [
                (item, request_for_need(needs[item.query.subject], top_k))
                for item in probes
                if item.query.subject in needs
            ]
        queries = services.match.encode_many([request for _, request in asked])
        scored = services.match.score_candidates(
            [
                SupplierProbe(
                    request,
                    queries[n : n + 1],
                    item.ids,
                    item.pool,
                    None if item.screen is None else item.screen.spread,
                    explain_from=item.entry - _TIE,
                    shown=item.shown,
                )
                for n, (item, request) in enumerate(asked)
            ],
            as_of,
        )
        for (item, _), found in zip(asked, scored, strict=True):
            key = item.query.key
            rows[key] = list(zip(found.external, found.targets, found.scores, strict=True))
            _cut_back(item, found, screens, pushed)
            if key not in pushed and _reaches(item, rows[key]):
                patch = _patch(item, found, top_k)
                if patch is not None:
                    patched[key] = patch
                    del rows[key]
    elif task == FIRM_IMPORTERS:
        with session_scope(services.runtime.sessions) as session:
            documents = repository.product_documents_by_firm(session, subjects)
        firms = [item for item in probes if documents.get(item.query.subject)]
        texts = [documents[item.query.subject] for item in firms]
        encoded = services.shortlist.encode([d for group in texts for d in group])
        bounds = np.cumsum([0, *(len(group) for group in texts)])
        importers = services.shortlist.score_candidates(
            [
                ImporterProbe(
                    ShortlistRequest(item.query.subject, item.query.scope, top_k),
                    encoded[bounds[n] : bounds[n + 1]],
                    item.ids,
                    item.pool,
                    tuple(headings_of(texts[n])),
                    None if item.screen is None else item.screen.spread,
                    # A shown importer that changed is patched where it keeps its place.
                    explain_from=item.floor if item.head else math.inf,
                )
                for n, item in enumerate(firms)
            ],
            as_of,
        )
        for item, found in zip(firms, importers, strict=True):
            _cut_back(item, found, screens, pushed)
            if not item.head or item.query.key in pushed:
                rows[item.query.key] = list(
                    zip(found.external, found.targets, found.scores, strict=True)
                )
                continue
            kept = _repick(services, item, found, top_k)
            if kept is None:
                pushed.add(item.query.key)
            elif kept.patch is not None:
                patched[item.query.key] = kept.patch
            elif kept.head != list(item.head) or kept.floor != item.floor:
                repicked[item.query.key] = (kept.entry, kept.head, kept.floor)
    else:
        raise ValueError(f"{task} has no per-query first stage")
    reached = pushed | {
        item.query.key for item in probes if _reaches(item, rows.get(item.query.key, []))
    }
    encode = services.queries.seconds - encoding
    return ProbeResult(
        task,
        reached,
        services.queries.drain(),
        encode,
        time.perf_counter() - start - encode,
        screens,
        len(screens),
        repicked,
        patched,
    )
