"""Fill in HS suggestions for stored inquiries that arrived without a code.

Runs after ingestion (and in the nightly batch). Texts go through the embedding cache, so
re-running on unchanged needs encodes nothing; needs already suggested by the same model are
skipped.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from matcher.storage.database import session_scope
from matcher.storage.repository import needs_without_confirmed_hs, set_suggested_hs
from matcher.suggest.hs import HSSuggester

BATCH = 512


def suggest_missing_hs(
    sessions: sessionmaker[Session],
    suggester: HSSuggester,
    *,
    top_k: int = 5,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Suggest codes for every need without a confirmed one; returns how many were updated."""
    model = suggester.model_name
    with session_scope(sessions) as session:
        todo = list(needs_without_confirmed_hs(session, model))
    for start in range(0, len(todo), BATCH):
        chunk = todo[start : start + BATCH]
        suggestions = suggester.suggest([text for _, text in chunk], top_k=top_k)
        with session_scope(sessions) as session:
            set_suggested_hs(
                session,
                [
                    (nid, [s.code for s in ranked])
                    for (nid, _), ranked in zip(chunk, suggestions, strict=True)
                ],
                model,
            )
        if progress is not None:
            progress(len(chunk))
    return len(todo)
