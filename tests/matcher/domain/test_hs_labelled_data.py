"""Integrity checks for the labelled HS-code evaluation set ``tests/data/hs_labelled.jsonl``.

Each line is one product description (Korean, English or Vietnamese) with the 6-digit HS
subheading a customs broker would pick, and optionally acceptable alternatives. Fifty lines are
real product texts copied verbatim from the SMBA inquiry log; when that log is present under
``../shared/data/real`` their wording and record ids are checked against it.
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from matcher.domain import hscodes

_HERE = Path(__file__).resolve()
DATA_PATH = _HERE.parents[2] / "data" / "hs_labelled.jsonl"
SMBA_CSV = _HERE.parents[3].parent / "shared" / "data" / "real" / "smba_inquiries.csv"

LANGS = ("ko", "en", "vi")
SOURCES = ("authored", "smba_inquiries")
REQUIRED_KEYS = {"id", "lang", "source", "text", "hs6"}
OPTIONAL_KEYS = {"alt", "note"}

MIN_LINES = 330
MIN_AUTHORED_PER_LANG = 90
SMBA_LINES = 50
MIN_CHAPTERS = 40

ID_RE = re.compile(r"hs-\d{4}")
HS6_RE = re.compile(r"\d{6}")
HANGUL_RE = re.compile(r"[\uac00-\ud7a3]")
# Letters that only Vietnamese orthography uses (tone marks, horn/breve vowels, đ).
VI_DIACRITIC_RE = re.compile(
    "[àáạảãâầấậẩẫăằắặẳẵèéẹẻẽêềếệểễìíịỉĩòóọỏõôồốộổỗơờớợởỡùúụủũưừứựửữỳýỵỷỹđ"
    "ÀÁẠẢÃÂẦẤẬẨẪĂẰẮẶẲẴÈÉẸẺẼÊỀẾỆỂỄÌÍỊỈĨÒÓỌỎÕÔỒỐỘỔỖƠỜỚỢỞỠÙÚỤỦŨƯỪỨỰỬỮỲÝỴỶỸĐ]"
)
SMBA_NOTE_RE = re.compile(r"smba record_id=(\d+)")


def _load_lines() -> list[str]:
    return DATA_PATH.read_text(encoding="utf-8").splitlines()


@pytest.fixture(scope="module")
def records() -> list[dict[str, Any]]:
    return [json.loads(line) for line in _load_lines()]


def test_data_file_sits_where_the_tests_expect_it() -> None:
    assert DATA_PATH.parent.name == "data"
    assert DATA_PATH.parent.parent.name == "tests"
    assert DATA_PATH.is_file(), f"missing {DATA_PATH}"


def test_every_line_is_one_well_formed_json_object() -> None:
    lines = _load_lines()
    assert lines, "file is empty"
    for number, line in enumerate(lines, start=1):
        assert line.strip(), f"line {number} is blank"
        record = json.loads(line)
        assert isinstance(record, dict), f"line {number} is not a JSON object"
        keys = set(record)
        assert keys >= REQUIRED_KEYS, f"line {number} lacks {REQUIRED_KEYS - keys}"
        assert keys <= REQUIRED_KEYS | OPTIONAL_KEYS, f"line {number} has extra keys"
        for key in REQUIRED_KEYS:
            assert isinstance(record[key], str), f"line {number}: {key} is not a string"
        assert record["text"].strip() == record["text"] != "", f"line {number}: bad text"
        assert record["lang"] in LANGS, f"line {number}: lang {record['lang']!r}"
        assert record["source"] in SOURCES, f"line {number}: source {record['source']!r}"
        if "alt" in record:
            assert isinstance(record["alt"], list), f"line {number}: alt is not a list"
            assert record["alt"], f"line {number}: alt is empty (omit it instead)"
        if "note" in record:
            assert isinstance(record["note"], str), f"line {number}: note is not a string"
            assert record["note"].strip(), f"line {number}: note is empty"


def test_set_is_large_enough(records: list[dict[str, Any]]) -> None:
    assert len(records) >= MIN_LINES


def test_authored_texts_cover_each_language(records: list[dict[str, Any]]) -> None:
    per_lang = Counter(r["lang"] for r in records if r["source"] == "authored")
    for lang in LANGS:
        assert per_lang[lang] >= MIN_AUTHORED_PER_LANG, (lang, per_lang[lang])


def test_exactly_fifty_smba_inquiry_lines(records: list[dict[str, Any]]) -> None:
    assert sum(r["source"] == "smba_inquiries" for r in records) == SMBA_LINES


def test_ids_are_unique_and_well_formed(records: list[dict[str, Any]]) -> None:
    ids = [r["id"] for r in records]
    assert all(ID_RE.fullmatch(i) for i in ids), [i for i in ids if not ID_RE.fullmatch(i)]
    duplicates = [i for i, n in Counter(ids).items() if n > 1]
    assert not duplicates, duplicates


def test_texts_are_unique(records: list[dict[str, Any]]) -> None:
    duplicates = [t for t, n in Counter(r["text"] for r in records).items() if n > 1]
    assert not duplicates, duplicates


def test_every_label_is_a_known_six_digit_subheading(records: list[dict[str, Any]]) -> None:
    bad: list[tuple[str, str]] = []
    for record in records:
        codes = [record["hs6"], *record.get("alt", [])]
        for code in codes:
            if not (isinstance(code, str) and HS6_RE.fullmatch(code) and hscodes.is_known(code)):
                bad.append((record["id"], str(code)))
    assert not bad, bad


def test_alternatives_differ_from_the_label(records: list[dict[str, Any]]) -> None:
    for record in records:
        alt = record.get("alt", [])
        assert record["hs6"] not in alt, record["id"]
        assert len(set(alt)) == len(alt), record["id"]


def test_labels_span_many_chapters(records: list[dict[str, Any]]) -> None:
    chapters = {r["hs6"][:2] for r in records}
    assert len(chapters) >= MIN_CHAPTERS, sorted(chapters)


def test_texts_are_written_in_their_language(records: list[dict[str, Any]]) -> None:
    for record in records:
        text = record["text"]
        if record["lang"] == "ko":
            assert HANGUL_RE.search(text), (record["id"], text)
        elif record["lang"] == "vi":
            assert VI_DIACRITIC_RE.search(text), (record["id"], text)
            assert not HANGUL_RE.search(text), (record["id"], text)
        elif record["source"] == "smba_inquiries":
            # SMBA texts are labelled "en" only when they contain no Hangul at all.
            assert not HANGUL_RE.search(text), (record["id"], text)


def test_smba_lines_name_their_record_id(records: list[dict[str, Any]]) -> None:
    record_ids: list[str] = []
    for record in records:
        if record["source"] != "smba_inquiries":
            assert "smba record_id=" not in record.get("note", ""), record["id"]
            continue
        assert record["lang"] in ("ko", "en"), record["id"]
        match = SMBA_NOTE_RE.search(record.get("note", ""))
        assert match, f"{record['id']}: note must contain 'smba record_id=NNN'"
        record_ids.append(match.group(1))
    assert len(set(record_ids)) == len(record_ids), "an SMBA record is used twice"


def test_smba_texts_are_verbatim_from_the_inquiry_log(records: list[dict[str, Any]]) -> None:
    if not SMBA_CSV.is_file():
        pytest.skip(
            "../shared/data/real is absent (a fresh clone has no ../shared); verbatim check not run"
        )
    with SMBA_CSV.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    by_record_id = {row["record_id"]: row["product_ko"] for row in rows}
    product_texts = set(by_record_id.values())
    for record in records:
        if record["source"] != "smba_inquiries":
            continue
        text = record["text"]
        assert text in product_texts, f"{record['id']}: {text!r} is not a product_ko value"
        match = SMBA_NOTE_RE.search(record["note"])
        assert match is not None
        record_id = match.group(1)
        assert by_record_id.get(record_id) == text, (
            f"{record['id']}: record_id={record_id} holds {by_record_id.get(record_id)!r}, "
            f"not {text!r}"
        )
