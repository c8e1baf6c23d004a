"""API keys: shown once, stored only as a hash, found by prefix, scoped by role and center,
revocable; on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from matcher.domain.enums import CenterCode, Role
from matcher.errors import InputValidationError, NotFoundError
from matcher.storage.api_keys import authenticate, create_key, list_keys, revoke_key
from matcher.storage.database import session_scope
from matcher.storage.tables import ApiKeyRow


def test_a_key_works_once_created_and_only_its_hash_is_stored(
    sessions: sessionmaker[Session],
) -> None:
    with session_scope(sessions) as session:
        key, info = create_key(session, "Hanoi desk", "staff", ["han", "SGN"])
    assert key.startswith(f"tm_{info.prefix}_") and len(key) > 40
    assert info.role is Role.STAFF and info.centers == ("HAN", "SGN")
    with session_scope(sessions) as session:
        row = session.execute(select(ApiKeyRow)).scalar_one()
        assert key not in (row.key_hash, row.prefix, row.name) and len(row.key_hash) == 64
        who = authenticate(session, key)
    assert who is not None and who.role is Role.STAFF
    assert who.can_see_center("HAN") and not who.can_see_center("DEL")
    assert who.centers == frozenset({CenterCode.HANOI, CenterCode.HO_CHI_MINH_CITY})


def test_wrong_malformed_and_revoked_keys_are_refused(sessions: sessionmaker[Session]) -> None:
    with session_scope(sessions) as session:
        key, info = create_key(session, "BuyKorea gateway", "partner")
        other, _ = create_key(session, "Ops", "admin")
    wrong_secret = key[:-4] + ("AAAA" if not key.endswith("AAAA") else "BBBB")
    with session_scope(sessions) as session:
        for presented in (wrong_secret, "tm_nothing", "not-a-key", "", other + "x"):
            assert authenticate(session, presented) is None, presented
        assert authenticate(session, other) is not None
        revoked = revoke_key(session, info.prefix)
        assert revoked.revoked_at is not None
        assert authenticate(session, key) is None
        again = revoke_key(session, info.prefix)  # idempotent: the first time is kept
        assert again.revoked_at == revoked.revoked_at
        with pytest.raises(NotFoundError):
            revoke_key(session, "ffffffff")
        listed = list_keys(session)
    assert [k.name for k in listed] == ["BuyKorea gateway", "Ops"]
    assert all(not hasattr(k, "key_hash") for k in listed)


@pytest.mark.parametrize(
    ("name", "role", "centers", "field"),
    [
        ("", "partner", [], "name"),
        ("x", "superuser", [], "role"),
        ("x", "staff", [], "centers"),
        ("x", "staff", ["XXX"], "centers"),
        ("x", "partner", ["HAN"], "centers"),
    ],
)
def test_bad_key_requests_name_the_field(
    sqlite_sessions: sessionmaker[Session], name: str, role: str, centers: list[str], field: str
) -> None:
    with session_scope(sqlite_sessions) as session, pytest.raises(InputValidationError) as caught:
        create_key(session, name, role, centers)
    assert caught.value.field == field


def test_the_keys_commands(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from matcher.cli.main import app

    cli = CliRunner()
    base = ["--data-dir", str(tmp_path / "data")]
    made = cli.invoke(
        app, [*base, "keys", "create", "Delhi desk", "--role", "staff", "--center", "DEL"]
    )
    assert made.exit_code == 0, made.output
    key = made.output.strip().splitlines()[-1]
    assert key.startswith("tm_")
    prefix = key.split("_")[1]
    listed = cli.invoke(app, [*base, "keys", "list"], terminal_width=200)
    assert listed.exit_code == 0 and prefix in listed.output and key not in listed.output
    bad = cli.invoke(app, [*base, "keys", "create", "x", "--role", "staff"])
    assert bad.exit_code == 2 and "centers" in bad.output
    gone = cli.invoke(app, [*base, "keys", "revoke", prefix])
    assert gone.exit_code == 0 and "revoked" in gone.output
    missing = cli.invoke(app, [*base, "keys", "revoke", "ffffffff"])
    assert missing.exit_code == 2
