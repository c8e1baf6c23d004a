"""Write a model directory so that a reader never sees half of it.

Why: model directories are built once (minutes) and read by every process after; a build cut
off midway must leave the old directory or none, never a partial one that looks built.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def staged_dir(target: Path) -> Iterator[Path]:
    """A fresh directory beside ``target`` to write into; when the block ends without an
    error it replaces ``target`` (made readable by the service user: mkdtemp makes it
    private), otherwise it is removed and ``target`` is left as it was."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        yield staging
        for path in [staging, *staging.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
