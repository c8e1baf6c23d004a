"""The data dictionary documents every field of every ingestible kind."""

from __future__ import annotations

import re

from matcher.domain.schemas import RECORD_TYPES
from matcher.ingest.kinds import KINDS, get_kind
from tests.conftest import REPO_ROOT


def _sections() -> dict[str, str]:
    text = (REPO_ROOT / "data" / "dictionary.md").read_text(encoding="utf-8")
    parts = re.split(r"^## ", text, flags=re.MULTILINE)
    return {p.split("\n", 1)[0].strip(): p for p in parts[1:]}


def test_every_record_field_is_documented_in_its_section() -> None:
    sections = _sections()
    for kind, record in RECORD_TYPES.items():
        assert kind in sections, f"no '## {kind}' section"
        documented = set(re.findall(r"^\| (\w+) \|", sections[kind], flags=re.MULTILINE))
        assert set(record.model_fields) <= documented, set(record.model_fields) - documented


def test_every_source_kind_is_listed() -> None:
    get_kind("exporters")  # registers the source kinds
    sources = _sections()["Published source files"]
    for name, kind in KINDS.items():
        if kind.adapter is not None:
            assert f"`{name}`" in sources
