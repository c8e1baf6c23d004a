"""Two editors who read the same version: the first change lands, the second is refused
(412), also when both passed the If-Match check before either wrote; on SQLite and
PostgreSQL. Shortlists and record resources alike."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from matcher.domain.schemas import BuyerRecord, ExporterRecord, ProductRecord
from matcher.errors import PreconditionFailedError
from matcher.storage import records, shortlists
from matcher.storage.database import session_scope


@pytest.fixture
def stored(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    with session_scope(sessions) as session:
        records.create(session, "exporters", ExporterRecord(external_id="E1", name_en="Valves"))
        records.create(
            session,
            "buyers",
            BuyerRecord(external_id="B1", name="Hai Phong Co", country="VN", center="HAN"),
        )
        records.create(
            session,
            "products",
            ProductRecord(external_id="P1", exporter_id="E1", description="ball valve"),
        )
        shortlists.create(
            session,
            center="HAN",
            exporter_external_id="E1",
            title="first",
            note=None,
            items=[],
            created_by="test",
            external_id="SL1",
        )
    return sessions


def test_the_second_of_two_concurrent_shortlist_edits_is_refused(
    stored: sessionmaker[Session],
) -> None:
    first, second = stored(), stored()
    try:
        mine = shortlists.get(first, "SL1")
        theirs = shortlists.get(second, "SL1")
        assert mine.version == theirs.version == 1
        shortlists.update(first, mine, '"1"', items=[shortlists.Item("B1", "call Monday")])
        first.commit()
        # Their If-Match named the version they read, which was current when they read it.
        with pytest.raises(PreconditionFailedError):
            shortlists.update(second, theirs, '"1"', title="overwrite")
        second.rollback()
    finally:
        first.close()
        second.close()
    with session_scope(stored) as session:
        row = shortlists.get(session, "SL1")
        assert row.version == 2 and row.title == "first"
        assert [(i["buyer_id"], i["note"]) for i in row.items] == [("B1", "call Monday")]


def test_the_second_of_two_concurrent_record_edits_is_refused(
    stored: sessionmaker[Session],
) -> None:
    first, second = stored(), stored()
    try:
        mine = records.get_row(first, "products", "P1")
        theirs = records.get_row(second, "products", "P1")
        read = mine.content_hash
        assert theirs.content_hash == read
        change = records.merged_record(first, "products", mine, {"moq": 10})
        records.update(first, "products", mine, change, f'"{read}"')
        first.commit()
        other = records.merged_record(second, "products", theirs, {"moq": 99})
        with pytest.raises(PreconditionFailedError):
            records.update(second, "products", theirs, other, f'"{read}"')
        second.rollback()
    finally:
        first.close()
        second.close()
    with session_scope(stored) as session:
        assert records.get_row(session, "products", "P1").moq == 10
