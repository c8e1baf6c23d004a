"""UI text in Korean and English. Every string a page shows comes from ``locales/<lang>.json``
by key, so a missing translation is a test failure (the templates are walked for keys), not
an English word on a Korean page. Korean is the default for staff."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Literal

LOCALES_DIR = Path(__file__).parent / "locales"
Lang = Literal["ko", "en"]
LANGUAGES: tuple[Lang, ...] = ("ko", "en")
DEFAULT_LANGUAGE: Lang = "ko"
COOKIE = "tm_lang"


@cache
def messages(lang: str) -> dict[str, str]:
    loaded: dict[str, str] = json.loads((LOCALES_DIR / f"{lang}.json").read_text("utf-8"))
    return loaded


def translator(lang: str) -> Callable[..., str]:
    """``t("key", n=3)``: the text for ``key`` with ``{n}`` filled in. An unknown key shows
    as ``⟦key⟧`` (and the template walk fails), never as an empty string."""
    table = messages(lang if lang in LANGUAGES else DEFAULT_LANGUAGE)

    def t(key: str, **values: object) -> str:
        text = table.get(key)
        if text is None:
            return f"⟦{key}⟧"
        return text.format(**values) if values else text

    return t


def chosen(cookie: str | None) -> Lang:
    for lang in LANGUAGES:
        if cookie == lang:
            return lang
    return DEFAULT_LANGUAGE
