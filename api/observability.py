"""Operations: request ids, structured JSON logs and Prometheus metrics.

Why: an operator chasing a slow or failed request needs one id that ties the client's report,
the access line and every log line written while serving it; and the 150 ms p99 target, the
match volume per kind and the index versions actually served must be visible to Prometheus.

- **Request ids.** :class:`RequestContext` is a pure ASGI middleware (``BaseHTTPMiddleware``
  would break streaming and contextvars). It accepts a sane incoming ``X-Request-ID`` (1-128
  characters of ``[A-Za-z0-9._-]``) or makes one, keeps it in a contextvar for the request
  (:func:`current_request_id`), echoes it on the response and writes one access line. Install
  it outermost so responses made by other middlewares (413, 429) carry the id too. An
  unhandled exception becomes a ``500`` problem that still carries the header; the id stays
  set while the exception travels on, so the error handler's log line names it.
- **Logs.** :func:`configure_logging` puts one handler on the root logger: JSON lines
  (``ts``, ``level``, ``logger``, ``message``, ``request_id``, ``exc_info``, and any
  ``extra=`` fields) or plain text. uvicorn's loggers propagate into it; ``uvicorn.access``
  is silenced because the middleware writes a better access line (route template, duration,
  request id, API key prefix; never the key's secret).
- **Metrics.** Each app gets its own ``CollectorRegistry`` (tests build many apps):
  ``tradematch_http_request_duration_seconds`` (method, route template, status),
  ``tradematch_matches_total`` (kind; 2xx answers of the four matching routes, derived from
  the route template so route code needs no change), and ``tradematch_index_info`` /
  ``tradematch_index_items`` read at scrape time from the loaded indexes (as ``/v1/health``
  reads them). ``GET /metrics`` serves them without auth and outside the OpenAPI schema.

Limitation, several workers: uvicorn's workers are separate processes, each with its own
registry, so a scrape sees only the worker that answered it. prometheus_client's
multiprocess mode is not used: it is switched on by the ``PROMETHEUS_MULTIPROC_DIR``
environment variable read when ``prometheus_client`` is first imported (not through
``Settings``), its directory must be wiped by the parent before workers start, and uvicorn
has no worker-exit hook to call ``mark_process_dead``. Run one worker per container and let
Prometheus scrape every container (or scrape each worker's port), which also keeps the
per-process index info true to what each process serves.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import re
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TextIO

import fastapi.routing
from fastapi import FastAPI, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import problem
from matcher.config import Settings

log = logging.getLogger(__name__)
access_log = logging.getLogger("api.access")

REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID_OK = re.compile(r"[A-Za-z0-9._-]{1,128}")
# ``tm_<prefix>_<secret>`` (matcher.storage.api_keys): only the prefix is ever logged.
_API_KEY = re.compile(r"tm_([0-9a-f]{8})_\S+")
# Public in recent FastAPI (its OpenAPI generation walks routes with it); absent before.
_iter_route_contexts: Callable[[Sequence[BaseRoute]], Iterable[Any]] | None = getattr(
    fastapi.routing, "iter_route_contexts", None
)
_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "tradematch_request_id", default=None
)

# Dense around the 150 ms p99 target so the quantile is interpolated within a narrow bucket;
# coarse beyond a second, where only "how bad" matters.
LATENCY_BUCKETS = (
    0.005,
    0.01,
    0.025,
    0.05,
    0.075,
    0.1,
    0.125,
    0.15,
    0.175,
    0.2,
    0.25,
    0.3,
    0.5,
    0.75,
    1.0,
    2.5,
    5.0,
    10.0,
)
# (method, route template) -> the kind counted in tradematch_matches_total.
MATCH_ROUTES: dict[tuple[str, str], str] = {
    ("POST", "/v1/inquiries/match"): "inquiry",
    ("GET", "/v1/exporters/{exporter_id}/importers"): "importers",
    ("GET", "/v1/buyers/{buyer_id}/suppliers"): "suppliers",
    ("GET", "/v1/exporters/{exporter_id}/service-partners"): "service_partners",
}
UNMATCHED_ROUTE = "unmatched"


def current_request_id() -> str | None:
    """The id of the request being served in this context (``None`` outside one): for code
    that wants to hand it on, e.g. to a downstream call."""
    return _request_id.get()


# --------------------------------------------------------------------------- logging

# Attributes every LogRecord has; anything else on a record came from ``extra=``.
_RECORD_FIELDS = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message",
    "asctime",
    "request_id",
    "taskName",
    "color_message",  # uvicorn's ANSI-coloured copy of the message
}
_HANDLER_MARK = "_tradematch_handler"


class RequestIdFilter(logging.Filter):
    """Stamps each record with the current request id. On the handler, not on a logger, so
    records from every library's logger that propagate to the root get it too."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = _request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line, so log shippers need no parsing rules. Non-JSON values in
    ``extra=`` are written as their ``str``; text stays UTF-8 (Korean names stay readable)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None)
        if request_id is not None:
            entry["request_id"] = request_id
        for key, value in record.__dict__.items():
            if key not in _RECORD_FIELDS and not key.startswith("_"):
                entry[key] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exc_info"] = record.exc_text
        if record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class PlainFormatter(logging.Formatter):
    """Human-readable lines for a terminal, still with the request id."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        if getattr(record, "request_id", None) is None:
            record.request_id = "-"
        return super().format(record)


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at emit time, not at construction: test runners
    and daemonisers swap it, and a handler bound to a closed stream fails every line."""

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _: TextIO) -> None:
        pass


def configure_logging(settings: Settings, stream: TextIO | None = None) -> logging.Handler:
    """Install the one root handler (JSON when ``settings.log_json``) at
    ``settings.log_level``. Idempotent: a second call replaces the handler it installed, so
    several apps in one process (tests) never duplicate lines. ``stream`` defaults to stderr
    (as resolved at each write). Returns the handler."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _HANDLER_MARK, False)]:
        root.removeHandler(old)
        old.close()
    handler: logging.Handler = _StderrHandler() if stream is None else logging.StreamHandler(stream)
    setattr(handler, _HANDLER_MARK, True)
    handler.setFormatter(JsonFormatter() if settings.log_json else PlainFormatter())
    handler.addFilter(RequestIdFilter())
    root.addHandler(handler)
    root.setLevel(settings.log_level.upper())
    # uvicorn configures its own handlers before it builds the app: route its lines through
    # ours, and drop its access line (the middleware writes a richer one).
    for name in ("uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        for old in list(logger.handlers):
            logger.removeHandler(old)
        logger.propagate = True
    uvicorn_access = logging.getLogger("uvicorn.access")
    for old in list(uvicorn_access.handlers):
        uvicorn_access.removeHandler(old)
    uvicorn_access.propagate = False
    uvicorn_access.disabled = True
    return handler


# --------------------------------------------------------------------------- metrics


class IndexCollector(Collector):
    """Index versions and sizes read at scrape time, the way ``/v1/health`` reads them: from
    the index manager behind the loaded match service (nothing before it has started, so a
    scrape never triggers loading the encoder)."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def collect(self) -> Iterator[GaugeMetricFamily]:
        info = GaugeMetricFamily(
            "tradematch_index_info",
            "The index version served per collection (value 1), with the encoder model.",
            labels=["collection", "version", "model"],
        )
        items = GaugeMetricFamily(
            "tradematch_index_items",
            "Items in the served version of each index collection.",
            labels=["collection"],
        )
        service = getattr(self.app.state, "match_service", None)
        if service is not None:
            try:
                loaded = service.indexes.loaded()
            except Exception:  # a scrape must not fail because of the index manager
                log.exception("reading the loaded indexes for /metrics failed")
                loaded = {}
            for name, manifest in sorted(loaded.items()):
                info.add_metric([name, manifest.version, manifest.model], 1.0)
                items.add_metric([name], float(manifest.count))
        yield info
        yield items

    def describe(self) -> Iterable[GaugeMetricFamily]:
        return []  # label values are only known at scrape time


class Metrics:
    """The app's own registry and instruments."""

    def __init__(self, app: FastAPI) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.latency = Histogram(
            "tradematch_http_request_duration_seconds",
            "Time from receiving a request to the end of its response.",
            ["method", "route", "status"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.matches = Counter(
            "tradematch_matches",
            "Successful (2xx) matching answers, by kind.",
            ["kind"],
            registry=self.registry,
        )
        for kind in MATCH_ROUTES.values():  # export zeros so rate() works from the start
            self.matches.labels(kind=kind)
        self.registry.register(IndexCollector(app))

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.latency.labels(method=method, route=route, status=str(status)).observe(seconds)
        kind = MATCH_ROUTES.get((method, route))
        if kind is not None and 200 <= status < 300:
            self.matches.labels(kind=kind).inc()


# --------------------------------------------------------------------------- middleware


class RouteTemplates:
    """The path template a request was routed to (``/v1/buyers/{buyer_id}/suppliers``),
    never the raw path: ids in label values would explode the metric's cardinality.

    Why a table: recent FastAPI keeps an included router's routes unprefixed (the routed
    ``scope["route"]`` says ``/buyers/{buyer_id}/suppliers``), so the full templates come
    from ``fastapi.routing.iter_route_contexts`` where it exists (older FastAPI copies the
    routes with their prefix into ``app.routes``). A request answered before routing (413,
    429) is matched against the same table."""

    def __init__(self) -> None:
        self._size = -1
        self._entries: list[tuple[object, str, re.Pattern[str], frozenset[str] | None]] = []
        self._lock = threading.Lock()

    def _refresh(self, routes: Sequence[BaseRoute]) -> None:
        contexts: Iterable[Any] = _iter_route_contexts(routes) if _iter_route_contexts else routes
        entries = []
        for context in contexts:
            template = getattr(context, "path_format", None)
            regex = getattr(context, "path_regex", None)
            if not isinstance(template, str) or not isinstance(regex, re.Pattern):
                continue
            methods = getattr(context, "methods", None)
            original = getattr(context, "original_route", context)
            entries.append((original, template, regex, frozenset(methods) if methods else None))
        self._entries = entries
        self._size = len(routes)

    def find(self, scope: Scope) -> str | None:
        routes: Sequence[BaseRoute] = getattr(scope.get("app"), "routes", None) or []
        with self._lock:
            if len(routes) != self._size:  # routes are added before serving, rarely after
                self._refresh(routes)
            entries = self._entries
        path = str(scope.get("path", ""))
        root = str(scope.get("root_path", ""))
        if root and path.startswith(root):
            path = path[len(root) :] or "/"
        method = scope.get("method")
        routed = scope.get("route")
        partial = None
        for original, template, regex, methods in entries:
            if routed is not None and original is not routed:
                continue
            if regex.match(path):
                if methods is None or method in methods:
                    return template
                partial = partial or template  # 405: the path exists, the method does not
        if partial is not None:
            return partial
        fallback = getattr(routed, "path_format", None)
        return fallback if isinstance(fallback, str) else None


def _key_prefix(headers: dict[bytes, bytes]) -> str | None:
    presented = headers.get(b"x-api-key")
    if presented is None:
        return None
    found = _API_KEY.fullmatch(presented.decode("latin-1").strip())
    return found.group(1) if found else None


class RequestContext:
    """Request id, access line and request metrics for every HTTP request (see the module
    docstring)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics
        self.templates = RouteTemplates()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        headers = dict(scope.get("headers") or [])
        incoming = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _REQUEST_ID_OK.fullmatch(incoming) else uuid.uuid4().hex
        token = _request_id.set(request_id)
        status = 500
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                started = True
                status = int(message["status"])
                kept = [
                    (k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"
                ]
                kept.append((b"x-request-id", request_id.encode("latin-1")))
                message = {**message, "headers": kept}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            if not started:
                # The server-error handler outside us would answer without the id.
                response = problem(500, "The request could not be completed.", kind="internal")
                await response(scope, receive, send_with_id)
            self._record(scope, headers, request_id, status, start)
            raise  # the id stays set so the error handler's log line carries it
        self._record(scope, headers, request_id, status, start)
        _request_id.reset(token)

    def _record(
        self,
        scope: Scope,
        headers: dict[bytes, bytes],
        request_id: str,
        status: int,
        start: float,
    ) -> None:
        seconds = time.perf_counter() - start
        method = str(scope.get("method", ""))
        template = self.templates.find(scope)
        self.metrics.observe(method, template or UNMATCHED_ROUTE, status, seconds)
        path = template or str(scope.get("path", ""))
        duration_ms = round(seconds * 1000, 2)
        access_log.info(
            "%s %s %d %.1fms",
            method,
            path,
            status,
            duration_ms,
            extra={
                "method": method,
                "path": path,
                "status": status,
                "duration_ms": duration_ms,
                "request_id": request_id,
                "key_prefix": _key_prefix(headers),
            },
        )


# --------------------------------------------------------------------------- wiring


def install(app: FastAPI, settings: Settings) -> None:
    """Logging, the request-context middleware and ``GET /metrics``. Call it after every
    other ``add_middleware`` so the request-id middleware is outermost."""
    configure_logging(settings)
    metrics = Metrics(app)
    app.state.metrics = metrics
    app.add_middleware(RequestContext, metrics=metrics)

    def serve_metrics() -> Response:
        """Prometheus text exposition of this process's registry."""
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    app.add_api_route("/metrics", serve_metrics, methods=["GET"], include_in_schema=False)
