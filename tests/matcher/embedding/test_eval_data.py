"""Checks on the hand-written encoder evaluation data in ``tests/data``.

``encoder_parity_texts.jsonl`` feeds encoder parity checks and ``crosslingual_retrieval.jsonl``
the cross-lingual retrieval evaluation. Both are judged by these files, so a malformed line,
a text in the wrong script or a set whose positive hides among its negatives must fail here
rather than skew a score silently.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from matcher.domain import hscodes

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
PARITY_FILE = DATA_DIR / "encoder_parity_texts.jsonl"
RETRIEVAL_FILE = DATA_DIR / "crosslingual_retrieval.jsonl"

LANGS = ("ko", "vi", "hi", "en")
POSITIVE_LANGS = ("en", "ko")

MIN_PARITY_TEXTS = 520
MIN_PARITY_PER_LANG = 130
MIN_RETRIEVAL_SETS = 240
MIN_SETS_PER_QUERY_LANG = 60
N_NEGATIVES = 9
MAX_SAME_LANG_SHARE = 0.20
MIN_VI_DIACRITIC_SHARE = 0.80
MIN_EN_ASCII_SHARE = 0.80

HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")
DEVANAGARI = re.compile(r"[\u0900-\u097f]")
# Letters only Vietnamese uses among Latin scripts (ă â đ ê ô ơ ư) plus vowels carrying a
# tone mark (acute, grave, hook above, tilde, dot below), in both cases.
VI_LETTERS = re.compile(
    "[ăâđêôơưĂÂĐÊÔƠƯ"
    "áàảãạắằẳẵặấầẩẫậéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ"
    "ÁÀẢÃẠẮẰẲẴẶẤẦẨẪẬÉÈẺẼẸẾỀỂỄỆÍÌỈĨỊÓÒỎÕỌỐỒỔỖỘỚỜỞỠỢÚÙỦŨỤỨỪỬỮỰÝỲỶỸỴ]"
)


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    assert path.is_file(), f"missing evaluation data file {path}"
    rows: list[dict[str, Any]] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        assert line.strip(), f"{path.name}:{number} is blank"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            pytest.fail(f"{path.name}:{number} is not valid JSON: {exc}")
        assert isinstance(row, dict), f"{path.name}:{number} is not a JSON object"
        rows.append(row)
    return rows


@cache
def parity_rows() -> list[dict[str, Any]]:
    return _read_jsonl(PARITY_FILE)


@cache
def retrieval_sets() -> list[dict[str, Any]]:
    return _read_jsonl(RETRIEVAL_FILE)


def _ascii_share(text: str) -> float:
    chars = [c for c in text if not c.isspace()]
    if not chars:
        return 0.0
    return sum(c.isascii() for c in chars) / len(chars)


def _script_problem(lang: str, text: str) -> str | None:
    """Why ``text`` cannot be in ``lang`` by its script, or None when it plausibly is.

    Vietnamese diacritics are checked in aggregate (``_vi_diacritic_share``), since a short
    keyword query may be all product codes ("PE100 SDR11"); here a vi text only must not be
    written in Hangul or Devanagari. English may quote Korean in parentheses, "Gochujang (고추장)",
    but must stay mostly ASCII.
    """
    if lang == "ko" and not HANGUL.search(text):
        return "Korean text without Hangul"
    if lang == "hi" and not DEVANAGARI.search(text):
        return "Hindi text without Devanagari"
    if lang == "vi" and (HANGUL.search(text) or DEVANAGARI.search(text)):
        return "Vietnamese text in Hangul or Devanagari"
    if lang == "en":
        if DEVANAGARI.search(text):
            return "English text with Devanagari"
        if (share := _ascii_share(text)) < MIN_EN_ASCII_SHARE:
            return f"English text only {share:.0%} ASCII"
    return None


def _vi_diacritic_share(texts: list[str]) -> float:
    return sum(bool(VI_LETTERS.search(t)) for t in texts) / len(texts)


# ---------------------------------------------------------------- parity texts


def test_parity_rows_have_lang_and_text() -> None:
    for number, row in enumerate(parity_rows(), 1):
        assert set(row) == {"lang", "text"}, f"parity line {number} has keys {sorted(row)}"
        assert row["lang"] in LANGS, f"parity line {number}: unknown lang {row['lang']!r}"
        assert isinstance(row["text"], str), f"parity line {number}: text is not a string"
        assert row["text"].strip(), f"parity line {number}: empty text"


def test_parity_counts() -> None:
    rows = parity_rows()
    assert len(rows) >= MIN_PARITY_TEXTS, f"only {len(rows)} parity texts"
    counts = Counter(row["lang"] for row in rows)
    for lang in LANGS:
        assert counts[lang] >= MIN_PARITY_PER_LANG, f"only {counts[lang]} {lang} parity texts"


def test_parity_texts_are_unique() -> None:
    counts = Counter(row["text"] for row in parity_rows())
    duplicates = [text for text, n in counts.items() if n > 1]
    assert not duplicates, f"duplicate parity texts: {duplicates[:5]}"


def test_parity_texts_match_their_language() -> None:
    problems = [
        f"{row['lang']}: {problem}: {row['text'][:60]!r}"
        for row in parity_rows()
        if (problem := _script_problem(row["lang"], row["text"]))
    ]
    assert not problems, "\n".join(problems[:20])


def test_parity_vietnamese_has_diacritics() -> None:
    texts = [row["text"] for row in parity_rows() if row["lang"] == "vi"]
    share = _vi_diacritic_share(texts)
    assert share >= MIN_VI_DIACRITIC_SHARE, f"only {share:.0%} of vi texts carry diacritics"


# ---------------------------------------------------------------- retrieval sets

REQUIRED_KEYS = {"id", "query_lang", "query", "positive", "positive_lang", "negatives", "hs_code"}
OPTIONAL_KEYS = {"note"}


def test_retrieval_sets_have_the_schema() -> None:
    for row in retrieval_sets():
        where = row.get("id", "<no id>")
        keys = set(row)
        assert keys >= REQUIRED_KEYS, f"{where}: missing {sorted(REQUIRED_KEYS - keys)}"
        assert keys <= REQUIRED_KEYS | OPTIONAL_KEYS, f"{where}: extra keys {sorted(keys)}"
        assert isinstance(row["id"], str) and row["id"], f"{where}: bad id"
        assert row["query_lang"] in LANGS, f"{where}: query_lang {row['query_lang']!r}"
        assert row["positive_lang"] in POSITIVE_LANGS, f"{where}: positive_lang not en/ko"
        for key in ("query", "positive", "hs_code"):
            assert isinstance(row[key], str) and row[key].strip(), f"{where}: empty {key}"
        assert isinstance(row["negatives"], list), f"{where}: negatives is not a list"
        assert all(isinstance(n, str) and n.strip() for n in row["negatives"]), where
        assert isinstance(row.get("note", ""), str), f"{where}: note is not a string"


def test_retrieval_counts() -> None:
    rows = retrieval_sets()
    assert len(rows) >= MIN_RETRIEVAL_SETS, f"only {len(rows)} retrieval sets"
    counts = Counter(row["query_lang"] for row in rows)
    for lang in LANGS:
        assert counts[lang] >= MIN_SETS_PER_QUERY_LANG, f"only {counts[lang]} {lang} queries"


def test_retrieval_ids_and_queries_are_unique() -> None:
    rows = retrieval_sets()
    for key in ("id", "query"):
        counts = Counter(row[key] for row in rows)
        duplicates = [value for value, n in counts.items() if n > 1]
        assert not duplicates, f"duplicate {key} values: {duplicates[:5]}"


def test_retrieval_negatives_are_nine_distinct_others() -> None:
    for row in retrieval_sets():
        negatives = row["negatives"]
        assert len(negatives) == N_NEGATIVES, f"{row['id']}: {len(negatives)} negatives"
        assert len(set(negatives)) == N_NEGATIVES, f"{row['id']}: repeated negatives"
        assert row["positive"] not in negatives, f"{row['id']}: positive among negatives"


def test_retrieval_texts_match_their_language() -> None:
    problems: list[str] = []
    for row in retrieval_sets():
        checks = [("query", row["query_lang"], row["query"])]
        checks.append(("positive", row["positive_lang"], row["positive"]))
        checks += [("negative", row["positive_lang"], n) for n in row["negatives"]]
        for role, lang, text in checks:
            if problem := _script_problem(lang, text):
                problems.append(f"{row['id']} {role} ({lang}): {problem}: {text[:50]!r}")
    assert not problems, "\n".join(problems[:20])


def test_retrieval_vietnamese_queries_have_diacritics() -> None:
    queries = [row["query"] for row in retrieval_sets() if row["query_lang"] == "vi"]
    share = _vi_diacritic_share(queries)
    assert share >= MIN_VI_DIACRITIC_SHARE, f"only {share:.0%} of vi queries carry diacritics"


def test_retrieval_hs_codes_are_known() -> None:
    unknown = [
        (row["id"], row["hs_code"])
        for row in retrieval_sets()
        if len(row["hs_code"]) != 6 or not hscodes.is_known(row["hs_code"])
    ]
    assert not unknown, f"not 6-digit HS subheadings: {unknown[:10]}"


def test_retrieval_is_mostly_cross_lingual() -> None:
    rows = retrieval_sets()
    same = sum(row["query_lang"] == row["positive_lang"] for row in rows)
    share = same / len(rows)
    assert share <= MAX_SAME_LANG_SHARE, f"{share:.0%} of sets are not cross-lingual"


def test_retrieval_pool_texts_keep_one_language() -> None:
    """Positives and negatives come from one product pool, one text per product and language.

    A product text may be the positive of one set and a negative of another, but it must be
    labelled with the same language everywhere it appears.
    """
    lang_of: dict[str, str] = {}
    for row in retrieval_sets():
        for text in (row["positive"], *row["negatives"]):
            seen = lang_of.setdefault(text, row["positive_lang"])
            assert seen == row["positive_lang"], f"{row['id']}: {text[:50]!r} in two languages"
