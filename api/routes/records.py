"""The record resources (exporters, products, service offerings, buyers, inquiries, funnel
and pairing events), built from one specification each instead of seven copies of the
same routes.

Each resource gets a paged, filtered, sorted list; reads by external id; creation through
the same validated record that ingestion uses (``Idempotency-Key`` makes a retried POST
safe); and, where it makes sense, ``PATCH`` and ``DELETE`` guarded by ``If-Match`` with the
ETag the caller read. Every write is audited in its own transaction.

A resource shared with partner keys has a public representation without its sensitive
fields; staff read those at ``/{id}/internal``. (One schema per route keeps the OpenAPI
document honest about what a partner can receive.)
"""

# No ``from __future__ import annotations``: FastAPI reads the types of the generated
# endpoints' parameters, which refer to models built in ``resource_router``.

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model
from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from api import audit_trail
from api.auth import PrincipalDep, roles
from api.deps import SessionDep
from api.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page, SortKey, paginate
from matcher.domain.enums import Role
from matcher.domain.schemas import RECORD_TYPES, Record
from matcher.errors import NotFoundError, PreconditionRequiredError
from matcher.storage import audit, records, visibility
from matcher.storage.api_keys import Principal
from matcher.storage.repository import ENTITY_TABLES

Visibility = Callable[[Principal], ColumnElement[bool] | None]
# Checks (and may complete) a record before it is stored: scoping rules such as "staff
# create buyers of their own centers". Raises to refuse.
WriteGuard = Callable[[Session, Principal, Record], Record]
# Extra columns a new row gets from who created it (a partner's inquiries record its key).
Stamp = Callable[[Principal], dict[str, Any]]


@dataclass(frozen=True)
class Filter:
    """A query parameter that narrows a list: ``where(value)`` gives the SQL condition."""

    type: Any
    where: Callable[[Any], ColumnElement[bool]]
    description: str


@dataclass(frozen=True)
class ResourceSpec:
    kind: str  # the ENTITY_TABLES / RECORD_TYPES key
    path: str
    tag: str
    read_roles: tuple[Role, ...]
    create_roles: tuple[Role, ...]
    change_roles: tuple[Role, ...] = ()  # PATCH and DELETE; () = append-only history
    deletable: bool = False
    hidden: frozenset[str] = frozenset()  # left out of the shared representation
    filters: Mapping[str, Filter] = field(default_factory=dict)
    sort_keys: Mapping[str, SortKey] = field(default_factory=dict)
    visibility: Visibility | None = None
    guard: WriteGuard | None = None
    stamp: Stamp | None = None
    center_of: Callable[[dict[str, Any]], str | None] = lambda _: None  # for the audit log


def _out_model(spec: ResourceSpec, name: str, hidden: frozenset[str]) -> type[BaseModel]:
    record = RECORD_TYPES[spec.kind]
    fields: dict[str, Any] = {
        key: (info.annotation, Field(description=info.description))
        for key, info in record.model_fields.items()
        if key not in hidden
    }
    fields["created_at"] = (dt.datetime | None, None)
    fields["updated_at"] = (dt.datetime | None, None)
    fields["etag"] = (str, Field(description="The version to send back in If-Match"))
    model: type[BaseModel] = create_model(name, **fields)
    return model


def _patch_model(spec: ResourceSpec, name: str) -> type[BaseModel]:
    record = RECORD_TYPES[spec.kind]
    fields: dict[str, Any] = {
        key: (info.annotation | None, None)  # type: ignore[operator]
        for key, info in record.model_fields.items()
        if key != "external_id"
    }
    model: type[BaseModel] = create_model(name, __config__=ConfigDict(extra="forbid"), **fields)
    return model


def _query_model(spec: ResourceSpec, name: str) -> type[BaseModel]:
    sortable = ", ".join(sorted(spec.sort_keys))
    fields: dict[str, Any] = {
        "limit": (int, Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)),
        "cursor": (str | None, Field(None, max_length=512)),
        "sort": (
            str | None,
            Field(
                None,
                max_length=40,
                description=f"One of {sortable}; prefix '-' for descending (default: created)",
            ),
        ),
    }
    for key, flt in spec.filters.items():
        fields[key] = (flt.type | None, Field(None, description=flt.description))
    model: type[BaseModel] = create_model(name, __config__=ConfigDict(extra="forbid"), **fields)
    return model


def _visible_row(
    spec: ResourceSpec, session: Session, principal: Principal, external_id: str
) -> Any:
    """The row, or 404 alike for one that does not exist and one outside the caller's scope."""
    row = visibility.find(
        session, ENTITY_TABLES[spec.kind], spec.visibility, principal, external_id
    )
    if row is None:
        raise NotFoundError(records.ENTITY_NAMES[spec.kind], external_id)
    return row


def require_if_match(if_match: str | None) -> str:
    if not if_match:
        raise PreconditionRequiredError(
            "send If-Match with the ETag you read, so a concurrent change is not overwritten"
        )
    return if_match


def _invalid(exc: ValidationError) -> RequestValidationError:
    return RequestValidationError(
        [{**e, "loc": ("body", *e.get("loc", ())), "msg": e.get("msg", "")} for e in exc.errors()]
    )


def resource_router(spec: ResourceSpec) -> APIRouter:
    """The routes of one record resource."""
    router = APIRouter(tags=[spec.tag])
    noun = records.ENTITY_NAMES[spec.kind]
    base = "".join(part.capitalize() for part in spec.kind.split("_")).removesuffix("s")
    full_model = _out_model(spec, f"{base}Internal" if spec.hidden else base, frozenset())
    shown_model = _out_model(spec, base, spec.hidden) if spec.hidden else full_model
    patch_model = _patch_model(spec, f"{base}Patch")
    query_model = _query_model(spec, f"{base}Query")
    record_type = RECORD_TYPES[spec.kind]
    table = ENTITY_TABLES[spec.kind]
    item_path = spec.path + "/{external_id}"
    id_path_type = Annotated[str, Path(min_length=1, max_length=64, description=f"The {noun}'s id")]
    if_match_type = Annotated[str | None, Header(description="The ETag you read")]

    def shown(session: Session, rows: list[Any]) -> list[dict[str, Any]]:
        out = records.representations(session, spec.kind, rows)
        for item in out:
            for key in spec.hidden:
                item.pop(key, None)
        return out

    def audit_write(
        session: Session,
        request: Request,
        principal: Principal,
        action: str,
        external_id: str,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
    ) -> None:
        audit_trail.write(
            session,
            principal,
            audit.Change(
                action,
                spec.kind,
                external_id,
                before,
                after,
                spec.center_of(after or before or {}),
            ),
        )

    @router.get(
        spec.path,
        response_model=Page[shown_model],  # type: ignore[valid-type]
        summary=f"List {spec.kind.replace('_', ' ')}",
        **roles(*spec.read_roles),
    )
    def list_items(
        session: SessionDep,
        principal: PrincipalDep,
        query: Annotated[query_model, Query()],  # type: ignore[valid-type]
    ) -> dict[str, Any]:
        stmt = visibility.scoped(ENTITY_TABLES[spec.kind], spec.visibility, principal)
        params = query.model_dump()  # type: ignore[attr-defined]
        for key, flt in spec.filters.items():
            if params.get(key) is not None:
                stmt = stmt.where(flt.where(params[key]))
        rows, next_cursor = paginate(
            session,
            stmt,
            table.id,  # type: ignore[attr-defined]
            spec.sort_keys,
            params["sort"],
            params["limit"],
            params["cursor"],
        )
        return {
            "items": shown(session, list(rows)),
            "next_cursor": next_cursor,
            "limit": params["limit"],
        }

    @router.get(
        item_path,
        response_model=shown_model,
        summary=f"Read one {noun}",
        **roles(*spec.read_roles),
    )
    def read_item(
        external_id: id_path_type, session: SessionDep, principal: PrincipalDep, response: Response
    ) -> dict[str, Any]:
        row = _visible_row(spec, session, principal, external_id)
        response.headers["ETag"] = f'"{row.content_hash}"'
        return shown(session, [row])[0]

    if spec.hidden:
        internal_roles = tuple(r for r in spec.read_roles if r is not Role.PARTNER)

        @router.get(
            item_path + "/internal",
            response_model=full_model,
            summary=f"Read one {noun} with its internal fields",
            **roles(*internal_roles),
        )
        def read_internal(
            external_id: id_path_type,
            session: SessionDep,
            principal: PrincipalDep,
            response: Response,
        ) -> dict[str, Any]:
            row = _visible_row(spec, session, principal, external_id)
            response.headers["ETag"] = f'"{row.content_hash}"'
            return records.representation(session, spec.kind, row)

    @router.post(
        spec.path,
        response_model=shown_model,
        status_code=201,
        summary=f"Create a {noun}",
        **roles(*spec.create_roles),
    )
    def create_item(
        body: record_type,  # type: ignore[valid-type]
        request: Request,
        response: Response,
        session: SessionDep,
        principal: PrincipalDep,
    ) -> dict[str, Any]:
        record: Record = body
        if spec.guard is not None:
            record = spec.guard(session, principal, record)
        row = records.create(session, spec.kind, record)
        if spec.stamp is not None:
            for key, value in spec.stamp(principal).items():
                setattr(row, key, value)
            session.flush()
        after = records.representation(session, spec.kind, row)
        audit_write(session, request, principal, "create", row.external_id, None, after)
        response.headers["ETag"] = f'"{row.content_hash}"'
        response.headers["Location"] = f"{request.url.path}/{row.external_id}"
        return shown(session, [row])[0]

    if not spec.change_roles:
        return router

    @router.patch(
        item_path,
        response_model=shown_model,
        summary=f"Change a {noun} (If-Match required)",
        responses={412: {"description": "Changed since read"}, 428: {"description": "No If-Match"}},
        **roles(*spec.change_roles),
    )
    def patch_item(
        external_id: id_path_type,
        body: patch_model,  # type: ignore[valid-type]
        request: Request,
        response: Response,
        session: SessionDep,
        principal: PrincipalDep,
        if_match: if_match_type = None,
    ) -> dict[str, Any]:
        wanted = require_if_match(if_match)
        row = _visible_row(spec, session, principal, external_id)
        before = records.representation(session, spec.kind, row)
        changes = body.model_dump(exclude_unset=True)  # type: ignore[attr-defined]
        try:
            record = records.merged_record(session, spec.kind, row, changes)
        except ValidationError as exc:
            raise _invalid(exc) from None
        if spec.guard is not None:
            record = spec.guard(session, principal, record)
        row = records.update(session, spec.kind, row, record, wanted)
        after = records.representation(session, spec.kind, row)
        audit_write(session, request, principal, "update", external_id, before, after)
        response.headers["ETag"] = f'"{row.content_hash}"'
        return shown(session, [row])[0]

    if spec.deletable:

        @router.delete(
            item_path,
            status_code=204,
            summary=f"Delete a {noun} nothing refers to (If-Match required)",
            responses={409: {"description": "Still referenced"}},
            **roles(*spec.change_roles),
        )
        def delete_item(
            external_id: id_path_type,
            request: Request,
            session: SessionDep,
            principal: PrincipalDep,
            if_match: if_match_type = None,
        ) -> Response:
            wanted = require_if_match(if_match)
            row = _visible_row(spec, session, principal, external_id)
            before = records.representation(session, spec.kind, row)
            records.remove(session, spec.kind, row, wanted)
            audit_write(session, request, principal, "delete", external_id, before, None)
            return Response(status_code=204)

    return router
