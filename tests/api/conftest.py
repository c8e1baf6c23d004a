"""A private copy of the mini store for API tests that write (the session-wide mini store
is shared by read-only tests)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from matcher.config import Settings


@pytest.fixture(scope="module")
def private_settings(mini_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A copy of the mini store (database and index) this module may write to."""
    target: Path = tmp_path_factory.mktemp("private") / "data"
    shutil.copytree(mini_settings.data_dir, target)
    return mini_settings.model_copy(update={"data_dir": target})
