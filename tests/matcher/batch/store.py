"""A small demo store for the batch's tests, built once per test process and copied per test.

The template holds a generated demo (40 exporters: open inquiries, client firms at the
centers, manufacturers with markets, service offerings), its three indexes and a warm
query-vector cache (a batch run on a scratch copy encodes every query once, and its cache is
copied back), so the tests' own runs rank without loading the encoder. It has no batch run.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from matcher.config import Settings
from matcher.demo import DEMO_AS_OF
from matcher.storage.database import session_scope
from matcher.storage.tables import RecommendationRow

EXPORTERS = 40
SEED = 7
PARTITION_SIZE = 4
# The moment the tests' runs read the store as of, the same every day (read as of the wall
# clock, on 2026-12-07 the engine's incremental-against-full test met a carried shortlist
# whose similarity percentiles an edited importer had moved).
AS_OF = DEMO_AS_OF

_template: Path | None = None


def settings_for(data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "batch_partition_size": PARTITION_SIZE,
        "batch_workers": 1,
        "ranker": "rule",  # whatever models/rankers holds on this machine
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def template(root: Path) -> Path:
    """The template data directory (built on first use in this process)."""
    global _template
    if _template is not None:
        return _template
    from matcher.batch.engine import run_nightly
    from matcher.demo.generator import generate_demo
    from matcher.demo.load import load_demo
    from matcher.runtime import Runtime

    data = root / "template"
    settings = settings_for(data)
    runtime = Runtime(settings)
    runtime.upgrade_schema()
    generate_demo(settings.demo_dir, exporters=EXPORTERS, seed=SEED)
    load_demo(settings.demo_dir, runtime.sessions)
    for name in ("products", "buyers", "services"):
        runtime.build_index(name)
    runtime.engine.dispose()
    scratch = copy_store(data, root / "warm-up")
    run_nightly(settings_for(scratch), processes=False, as_of=AS_OF)
    shutil.copytree(scratch / "cache", data / "cache", dirs_exist_ok=True)
    shutil.rmtree(scratch)
    _template = data
    return data


def copy_store(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("demo"))
    return target


Row = tuple[str, str, int, str, float, float | None, str]


def rows(sessions: sessionmaker[Session], run_id: str) -> list[Row]:
    """A run's recommendations without the run id, in a fixed order."""
    with session_scope(sessions) as session:
        found = session.execute(
            select(
                RecommendationRow.task,
                RecommendationRow.query_key,
                RecommendationRow.rank,
                RecommendationRow.target_id,
                RecommendationRow.score,
                RecommendationRow.probability,
                RecommendationRow.reasons,
            ).where(RecommendationRow.run_id == run_id)
        ).all()
    return sorted((t, q, r, x, s, p, repr(why)) for t, q, r, x, s, p, why in found)
