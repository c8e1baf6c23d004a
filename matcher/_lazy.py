"""Import heavy optional dependencies lazily, with an install hint when they are missing.

sentence-transformers and torch take seconds to import; the CLI's ``--help``, ingestion and the
storage layer must not pay for that.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from matcher.errors import MissingDependencyError


def require(module: str, package: str | None = None) -> ModuleType:
    """Import ``module`` or raise ``MissingDependencyError`` naming the package to install."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:  # pragma: no cover - exercised only on broken installs
        pkg = package or module
        raise MissingDependencyError(
            f"'{module}' is required here but is not installed. "
            f"Install it with: pip install '{pkg}' (or run `make install`)."
        ) from exc
