from __future__ import annotations

from fastapi import APIRouter

from api.auth import EVERYONE, roles
from api.deps import HSSuggesterDep
from api.schemas import HSSuggestionOut, HSSuggestRequest, HSSuggestResponse

router = APIRouter(tags=["hs codes"])


@router.post("/hs/suggest", response_model=HSSuggestResponse, **roles(*EVERYONE))
def suggest_hs(body: HSSuggestRequest, suggester: HSSuggesterDep) -> HSSuggestResponse:
    """The most likely 6-digit HS subheadings for a product or inquiry text, best first.

    Suggestions are flagged as suggested: they help staff and buyers find a code, they do
    not confirm one.
    """
    ranked = suggester.suggest([body.text], top_k=body.top_k)[0]
    return HSSuggestResponse(
        suggestions=[
            HSSuggestionOut(
                code=s.code,
                heading=s.heading,
                chapter=s.chapter,
                description=s.description,
                score=s.score,
            )
            for s in ranked
        ],
        model=suggester.model_name,
    )
