"""A small exception hierarchy: callers catch ``TradeMatchError`` or one specific subclass.

The API maps these to HTTP responses; the CLI maps them to a message and a non-zero exit.
"""

from __future__ import annotations


class TradeMatchError(Exception):
    """Base class for every error this library raises on purpose."""


class ConfigurationError(TradeMatchError):
    """A setting is missing or inconsistent."""


class MissingDependencyError(TradeMatchError):
    """An optional heavy dependency is not installed; the message says how to install it."""


class InputValidationError(TradeMatchError):
    """Input failed validation. ``field`` names the offending field."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class DataTableError(TradeMatchError):
    """A shipped or center-edited data table has a bad row; the message names file and line."""

    def __init__(self, path: object, line: int, reason: str) -> None:
        super().__init__(f"{path}:{line}: {reason}")
        self.path = path
        self.line = line
        self.reason = reason


class NotFoundError(TradeMatchError):
    """A referenced entity does not exist."""

    def __init__(self, entity: str, key: object) -> None:
        super().__init__(f"{entity} {key!r} not found")
        self.entity = entity
        self.key = key


class NotReadyError(TradeMatchError):
    """A component is still starting (or could not start); try again later."""


class IndexNotReadyError(NotReadyError):
    """No usable vector index is loaded (not built yet, or every version is corrupt)."""


class IndexCorruptError(TradeMatchError):
    """An index file on disk failed its checksum or could not be read."""


class NotFittedError(TradeMatchError):
    """A learned model was used before it was fitted or loaded."""


class AuthenticationError(TradeMatchError):
    """No credentials, or credentials that are unknown, malformed or revoked."""


class PermissionDeniedError(TradeMatchError):
    """The caller is known but its role may not do this."""


class ConflictError(TradeMatchError):
    """The write collides with what is stored (an id already taken, a record still
    referenced, a request with the same idempotency key still running)."""


class PreconditionFailedError(TradeMatchError):
    """The record changed since the caller read it (its If-Match no longer matches)."""


class PreconditionRequiredError(TradeMatchError):
    """An update came without If-Match: it could overwrite someone else's change."""
