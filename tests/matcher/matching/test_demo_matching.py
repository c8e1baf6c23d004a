"""Acceptance on generated demo data with a fixed seed (the data `make run` serves)."""

from __future__ import annotations

from pathlib import Path

import pytest

from matcher.config import Settings
from matcher.matching.service import MatchRequest, MatchService

pytestmark = pytest.mark.slow

SEED = 20261123


@pytest.fixture(scope="module")
def demo_service(tmp_path_factory: pytest.TempPathFactory) -> MatchService:
    from matcher.demo.generator import generate_demo
    from matcher.demo.load import load_demo
    from matcher.runtime import Runtime

    data_dir: Path = tmp_path_factory.mktemp("demo") / "data"
    settings = Settings(data_dir=data_dir, _env_file=None)  # type: ignore[call-arg]
    runtime = Runtime(settings)
    runtime.upgrade_schema()
    generate_demo(settings.demo_dir, exporters=400, seed=SEED)
    load_demo(settings.demo_dir, runtime.sessions)
    runtime.build_index()
    return runtime.match_service()


def test_valve_inquiry_top5_are_valve_or_pipe_fitting_suppliers(demo_service: MatchService) -> None:
    result = demo_service.match(
        MatchRequest(text="stainless steel ball valves for a chemical plant", top_k=5)
    )
    assert len(result.results) == 5
    chapters = [r.product["hs_code"][:2] for r in result.results]
    assert set(chapters) <= {"84", "73"}, [
        (r.product["hs_code"], r.product["description"]) for r in result.results
    ]
    assert chapters[0] == "84" and result.results[0].product["hs_code"].startswith("8481")


def test_noodle_inquiry_in_vietnamese_with_hs_finds_noodle_makers(
    demo_service: MatchService,
) -> None:
    result = demo_service.match(
        MatchRequest(text="Tìm nhà cung cấp mì ăn liền Hàn Quốc", hs_codes=("1902",), top_k=5)
    )
    assert result.results[0].product["hs_code"].startswith("1902")
