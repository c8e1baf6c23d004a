"""Cursor pagination, filtering and sorting for list endpoints.

Keyset pagination: the cursor holds the last item's sort value and internal id, so a page is
one indexed range query however deep the client pages, and rows added meanwhile neither
repeat nor shift later pages (offsets would do both). Sort keys are limited to columns that
are never NULL, because NULL ordering differs between SQLite and PostgreSQL.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field
from sqlalchemy import Select, and_, or_
from sqlalchemy.orm import InstrumentedAttribute, Session

from matcher.errors import InputValidationError

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page"
    )
    limit: int


@dataclass(frozen=True)
class SortKey:
    column: InstrumentedAttribute[Any]
    kind: type = str  # how a cursor value is read back: str, int or dt.datetime


def _encode(sort: str, value: Any, ident: int | str) -> str:
    if isinstance(value, dt.datetime):
        value = value.isoformat()
    raw = json.dumps({"s": sort, "v": value, "i": ident}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str, sort: str, key: SortKey) -> tuple[Any, int | str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if data["s"] != sort:
            raise InputValidationError(
                "cursor", f"this cursor pages by '{data['s']}'; send sort={data['s']}"
            )
        value = data["v"]
        if key.kind is dt.datetime:
            value = dt.datetime.fromisoformat(value)
        elif value is not None:
            value = key.kind(value)
        last = data["i"]
        if not isinstance(last, int | str) or isinstance(last, bool):
            raise ValueError("the tie-breaker must be an id")
        return value, last
    except InputValidationError:
        raise
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError):
        raise InputValidationError("cursor", "is not a cursor this API issued") from None


def paginate(
    session: Session,
    stmt: Select[Any],
    id_column: InstrumentedAttribute[Any],
    sort_keys: Mapping[str, SortKey],
    sort: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[Sequence[Any], str | None]:
    """One page of the entities ``stmt`` selects, ordered by ``sort`` (``-name`` for
    descending) then by ``id_column`` (any unique column: an integer id, a run id), and the
    cursor of the next page."""
    sort = sort or "created"
    descending = sort.startswith("-")
    name = sort.removeprefix("-")
    key = sort_keys.get(name)
    if key is None:
        choices = ", ".join(sorted(sort_keys))
        raise InputValidationError("sort", f"'{name}' is not sortable; choose {choices}")
    column = key.column
    if cursor:
        value, last_id = _decode(cursor, sort, key)
        if descending:
            after = or_(column < value, and_(column == value, id_column < last_id))
        else:
            after = or_(column > value, and_(column == value, id_column > last_id))
        stmt = stmt.where(after)
    order = (column.desc(), id_column.desc()) if descending else (column.asc(), id_column.asc())
    rows = list(session.scalars(stmt.order_by(*order).limit(limit + 1)))
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = _encode(sort, getattr(last, column.key), getattr(last, id_column.key))
    return rows, next_cursor
