"""The kill test, with the real command and Dask worker processes: ``tradematch batch
nightly`` is SIGKILLed (with its cluster, as systemd or the OOM killer's cgroup kill would)
once about half of its partitions are checkpointed; the same command then takes over the
dead run's lock, resumes, computes only the partitions that were not finished (its output
counts them) and commits rows equal to a clean run's on a copy of the same store (two
workers, the same ``--as-of``)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from matcher.storage import database
from matcher.storage.database import session_scope
from matcher.storage.tables import BatchPartitionRow, BatchRunRow
from tests.matcher.batch.store import AS_OF, copy_store, rows, settings_for, template

pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parents[3]
TIMEOUT = 480.0


def _command(data_dir: Path, *args: str) -> tuple[list[str], dict[str, str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRADEMATCH_")}
    env.update(
        {
            "TRADEMATCH_DATA_DIR": str(data_dir),
            "TRADEMATCH_BATCH_PARTITION_SIZE": "1",  # many small partitions to stop between
            "TRADEMATCH_BATCH_WORKERS": "1",
            "TRADEMATCH_RANKER": "rule",
        }
    )
    code = "from matcher.cli.main import app; app()"
    return [sys.executable, "-c", code, "batch", "nightly", *args], env


def _run(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command, env = _command(data_dir, *args)
    return subprocess.run(
        command,
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def test_a_killed_run_resumes_and_equals_a_clean_run(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    source = template(tmp_path_factory.getbasetemp() / "batch-store")
    killed_dir = copy_store(source, tmp_path / "killed")
    clean_dir = copy_store(source, tmp_path / "clean")
    settings = settings_for(killed_dir)
    engine = database.engine_from_settings(settings)
    sessions = database.session_factory(engine)

    command, env = _command(killed_dir, "--as-of", AS_OF.isoformat())
    log = tmp_path / "killed.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            command,
            env=env,
            cwd=REPO_ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the cluster dies with it
        )
        deadline = time.monotonic() + TIMEOUT
        progress: tuple[str, int, int] | None = None
        while time.monotonic() < deadline and process.poll() is None:
            with session_scope(sessions) as session:
                run = session.scalar(select(BatchRunRow).where(BatchRunRow.status == "running"))
                progress = (
                    None if run is None else (run.run_id, run.partitions_total, run.partitions_done)
                )
            if progress is not None and progress[2] >= progress[1] // 2 > 0:
                os.killpg(process.pid, signal.SIGKILL)
                break
            time.sleep(0.05)
        process.wait(timeout=30)
    assert progress is not None, log.read_text()
    assert process.returncode == -signal.SIGKILL, log.read_text()
    run_id, total = progress[0], progress[1]
    with session_scope(sessions) as session:
        done = session.scalar(
            select(func.count())
            .select_from(BatchPartitionRow)
            .where(BatchPartitionRow.run_id == run_id)
        )
        killed = session.get(BatchRunRow, run_id)
        assert killed is not None and killed.status == "running"
        as_of = killed.inputs["as_of"]
    assert done is not None and 0 < done < total, (done, total)
    print(f"killed run {run_id} with {done} of {total} partitions checkpointed")

    resumed = _run(killed_dir)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert "took over a stale batch lock" in resumed.stdout
    assert f"resuming run {run_id}" in resumed.stdout
    assert (
        f"run {run_id}: {total} partitions; {done} already finished (skipped), "
        f"{total - done} to compute" in resumed.stdout
    ), resumed.stdout
    with session_scope(sessions) as session:
        finished = session.get(BatchRunRow, run_id)
        assert finished is not None and finished.status == "committed"
        assert finished.summary["resumed"] is True
        assert finished.summary["partitions"] == {
            "total": total,
            "skipped": done,
            "computed": total - done,
            "vanished_queries": 0,
        }
        partitions = session.scalar(
            select(func.count())
            .select_from(BatchPartitionRow)
            .where(BatchPartitionRow.run_id == run_id)
        )
    assert partitions == total  # each partition written exactly once

    clean = _run(clean_dir, "--workers", "2", "--as-of", as_of)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    clean_engine = database.engine_from_settings(settings_for(clean_dir))
    clean_sessions = database.session_factory(clean_engine)
    with session_scope(clean_sessions) as session:
        clean_run = session.scalar(select(BatchRunRow.run_id))
    assert clean_run is not None
    expected = rows(clean_sessions, clean_run)
    assert len(expected) > total
    assert rows(sessions, run_id) == expected
    clean_engine.dispose()
    engine.dispose()
