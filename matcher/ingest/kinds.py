"""What can be ingested: each *kind* names a record type, an optional row adapter, and the
columns it requires.

Generic kinds (``exporters``, ``products`` ...) take files whose columns are the record's
field names (see ``data/dictionary.md``). Source kinds (``kotra-sns-buyers`` ...) adapt a
published file's own columns to a record; they are registered by ``matcher.ingest.sources``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from matcher.domain.schemas import RECORD_TYPES, Record
from matcher.errors import InputValidationError


class SkipRow(Exception):  # noqa: N818 - a control-flow signal, not an error
    """Raised by an adapter for a row that is not an entity at all (e.g. a repeated header),
    with the reason to report."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


RowAdapter = Callable[[dict[str, str]], dict[str, Any]]


@dataclass(frozen=True)
class IngestKind:
    name: str
    entity: str  # key into RECORD_TYPES / storage.repository.ENTITY_TABLES
    description: str
    adapter: RowAdapter | None = None
    required_columns: tuple[str, ...] = ()
    # Duplicated external ids within one file are expected (e.g. one company per meeting).
    duplicates_expected: str | None = None
    ignored_columns: frozenset[str] = field(default_factory=frozenset)

    @property
    def record_type(self) -> type[Record]:
        return RECORD_TYPES[self.entity]

    def known_columns(self) -> set[str]:
        if self.adapter is not None:
            return set(self.required_columns) | set(self.ignored_columns)
        return set(self.record_type.model_fields)


def _required_fields(record_type: type[Record]) -> tuple[str, ...]:
    required = [
        name
        for name, info in record_type.model_fields.items()
        if info.is_required() and name != "external_id"
    ]
    return (*required, "external_id")


KINDS: dict[str, IngestKind] = {}


def register(kind: IngestKind) -> IngestKind:
    KINDS[kind.name] = kind
    return kind


for _entity, _record in RECORD_TYPES.items():
    _required = _required_fields(_record)
    # Events derive their id from their content when none is given.
    if _entity in ("events", "pairing_events"):
        _required = tuple(c for c in _required if c != "external_id")
    register(
        IngestKind(
            name=_entity,
            entity=_entity,
            description=f"{_record.__name__} rows; columns are its field names",
            required_columns=_required,
        )
    )


def get_kind(name: str) -> IngestKind:
    # Source kinds register on import; importing here keeps the registry complete for callers.
    import matcher.ingest.sources  # noqa: F401

    try:
        return KINDS[name]
    except KeyError:
        known = ", ".join(sorted(KINDS))
        raise InputValidationError(
            "kind", f"unknown kind '{name}'; choose one of: {known}"
        ) from None
