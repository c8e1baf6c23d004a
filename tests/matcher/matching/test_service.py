"""The first matching path on the committed mini catalog."""

from __future__ import annotations

from dataclasses import replace

import pytest

from matcher.config import Settings
from matcher.domain.enums import ExportStage
from matcher.index.products import CatalogFilter
from matcher.matching.service import (
    MatchRequest,
    MatchService,
    SupplierProbe,
    request_for_buyer,
)
from matcher.runtime import Runtime
from matcher.storage.database import session_scope
from matcher.storage.repository import get_buyer

VALVES = "stainless steel ball valves for a chemical plant"


def test_valve_inquiry_finds_valve_and_fitting_makers_first(mini_service: MatchService) -> None:
    result = mini_service.match(MatchRequest(text=VALVES, top_k=5))
    chapters = [r.product["hs_code"][:2] for r in result.results]
    assert chapters[0] == "84"
    assert result.results[0].supplier["id"] == "MX-E01"
    assert set(chapters[:3]) <= {"84", "73"}


def test_results_are_one_per_supplier_in_score_order(mini_service: MatchService) -> None:
    result = mini_service.match(MatchRequest(text="valves and pipes", top_k=10))
    ids = [r.supplier["id"] for r in result.results]
    assert len(ids) == len(set(ids))
    scores = [r.score for r in result.results]
    assert scores == sorted(scores, reverse=True)
    assert [r.rank for r in result.results] == list(range(1, len(ids) + 1))
    sejin = next(r for r in result.results if r.supplier["id"] == "MX-E01")
    assert sejin.matching_products == 2  # both of its valves were candidates


def test_every_result_explains_itself_in_english_and_korean(mini_service: MatchService) -> None:
    result = mini_service.match(
        MatchRequest(text=VALVES, hs_codes=("8481",), required_certifications=("API6D",))
    )
    for r in result.results:
        assert sum(e.contribution for e in r.explanations) == pytest.approx(r.score, abs=1e-3)
        for e in r.explanations:
            if e.value is None:  # does not apply to this query: no reason, no effect
                assert e.reason_en is None and e.contribution == 0
            else:
                assert e.reason_en and e.reason_ko
        applied = {e.feature for e in r.explanations if e.value is not None}
        assert {"semantic_similarity", "hs_agreement", "certification_coverage"} <= applied
        assert len(r.reasons) >= 2
        assert all(x.positive == (x.contribution >= 0) for x in r.reasons)
    top = result.results[0]
    by_feature = {e.feature: e for e in top.explanations}
    assert by_feature["hs_agreement"].value == pytest.approx(2 / 3, abs=1e-3)
    assert "HS 8481" in (by_feature["hs_agreement"].reason_en or "")
    assert "8481" in (by_feature["hs_agreement"].reason_ko or "")
    assert by_feature["certification_coverage"].value == 1.0


def test_features_that_do_not_apply_say_nothing(mini_service: MatchService) -> None:
    result = mini_service.match(MatchRequest(text="kimchi", top_k=3))
    for r in result.results:
        by_feature = {e.feature: e for e in r.explanations}
        assert by_feature["hs_agreement"].value is None
        assert by_feature["hs_agreement"].reason_en is None
        assert by_feature["hs_agreement"].contribution == 0


def test_hs_code_lifts_matching_products(mini_service: MatchService) -> None:
    plain = mini_service.match(MatchRequest(text="Korean food products", top_k=10))
    with_hs = mini_service.match(
        MatchRequest(text="Korean food products", hs_codes=("200599",), top_k=10)
    )
    rank_plain = [r.product["hs_code"] for r in plain.results].index("200599")
    assert with_hs.results[0].product["hs_code"] == "200599"
    assert rank_plain >= 0


@pytest.mark.parametrize(
    ("where", "check"),
    [
        (CatalogFilter(hs_prefixes=("73",)), lambda r: r.product["hs_code"].startswith("73")),
        (CatalogFilter(cities=("iksan",)), lambda r: r.supplier["city"] == "Iksan"),
        (
            CatalogFilter(certifications=("HALAL",)),
            lambda r: "HALAL" in r.product["certifications"] + r.supplier["certifications"],
        ),
        (
            CatalogFilter(export_stages=(ExportStage.BEGINNER,)),
            lambda r: r.supplier["export_stage"] == "beginner",
        ),
        (CatalogFilter(max_moq=100), lambda r: r.product["moq"] <= 100),
    ],
)
def test_filters_are_exact(mini_service: MatchService, where: CatalogFilter, check) -> None:  # type: ignore[no-untyped-def]
    result = mini_service.match(MatchRequest(text=VALVES, filters=where, top_k=10))
    assert result.results, "a filter with matching products must return them"
    assert all(check(r) for r in result.results)


def test_a_selective_filter_still_returns_every_match(mini_service: MatchService) -> None:
    # Only two suppliers are in Iksan; both come back although neither is about noodles.
    result = mini_service.match(
        MatchRequest(text="instant noodles", filters=CatalogFilter(cities=("Iksan",)), top_k=10)
    )
    assert {r.supplier["id"] for r in result.results} == {"MX-E01", "MX-E06"}


def test_a_filter_matching_nothing_returns_nothing(mini_service: MatchService) -> None:
    result = mini_service.match(
        MatchRequest(text=VALVES, filters=CatalogFilter(cities=("Atlantis",)))
    )
    assert result.results == ()


def test_buyer_profile_becomes_a_request(mini_settings, mini_service: MatchService) -> None:  # type: ignore[no-untyped-def]
    from matcher.runtime import Runtime

    runtime = Runtime(mini_settings)
    with session_scope(runtime.sessions) as session:
        buyer = get_buyer(session, "MX-B01")
        assert buyer is not None
        request = request_for_buyer(buyer, top_k=5)
    assert request.hs_codes == ("8481", "7307")
    assert request.required_certifications == ("ISO9001",)
    result = mini_service.match(request)
    assert {r.product["hs_code"][:4] for r in result.results[:2]} <= {"8481", "7307"}


def test_the_first_stage_also_searches_the_inquired_heading(mini_service: MatchService) -> None:
    """An inquiry whose words miss the catalogue still reaches the makers of its HS heading:
    the nearest products of that heading join the candidates, and similarity plus HS
    agreement picks the ``candidates`` the ranker sees."""
    import copy

    narrow = copy.copy(mini_service)
    narrow.candidates = 3
    text = "kimchi and fermented vegetables"
    words_only = narrow.match(MatchRequest(text=text, top_k=3))
    assert not any(r.product["hs_code"].startswith("8481") for r in words_only.results)
    coded = narrow.match(MatchRequest(text=text, hs_codes=("848180",), top_k=3))
    assert coded.candidates == 3
    assert any(r.product["hs_code"].startswith("8481") for r in coded.results)


def test_score_candidates_scores_many_inquiries_at_once_as_match_does(
    mini_service: MatchService, mini_settings: Settings
) -> None:
    """The nightly batch probes a chunk of inquiries in one pass: every probe's rows score as
    ``match`` scores them, whichever other probes (a known importer's, an anonymous one's
    with certificates, one with a price) share the pass."""
    runtime = Runtime(mini_settings)
    with session_scope(runtime.sessions) as session:
        buyer = get_buyer(session, "MX-B01")
        assert buyer is not None
        known = request_for_buyer(buyer, top_k=5)
    requests = [
        known,
        MatchRequest(text=VALVES, required_certifications=("API6D",), top_k=5),
        MatchRequest(text="kimchi for supermarkets", target_price_usd=3.0, top_k=5),
    ]
    probes = []
    expected: list[dict[str, float]] = []
    for request in requests:
        query = mini_service.encode(request)
        frame = mini_service.retrieve(request, query)
        result = mini_service.match(request)
        pool = [int(i) for i in frame["product_id"]]
        shown = {str(r.product["id"]) for r in result.results}
        named = zip(frame["product_id"], frame["product_external_id"], strict=True)
        ids = [int(i) for i, x in named if x in shown]
        probes.append(SupplierProbe(request, query, ids, pool))
        expected.append({str(r.product["id"]): r.score for r in result.results})
    together = mini_service.score_candidates(probes)
    for probe, found, scores in zip(probes, together, expected, strict=True):
        got = dict(zip(found.external, (round(v, 4) for v in found.scores), strict=True))
        assert got == pytest.approx(scores)
        assert set(found.ids) == set(probe.product_ids)
        alone = mini_service.score_candidates([probe])[0]
        assert alone.scores == pytest.approx(found.scores)


def test_a_probed_shown_product_brings_its_suppliers_other_pool_products(
    mini_service: MatchService,
) -> None:
    """Where a product an inquiry's results show is probed, every product of its supplier
    in the pool is scored with it: the batch needs the supplier's best row to know whether
    it keeps its place after its shown row fell."""
    request = MatchRequest(text="kimchi and fermented vegetables", top_k=5)
    query = mini_service.encode(request)
    frame = mini_service.retrieve(request, query)
    owners = frame.groupby("exporter_external_id")["product_id"].apply(list)
    supplier = next(s for s, ids in owners.items() if len(ids) > 1)
    mine = [int(i) for i in owners[supplier]]
    named = dict(zip(frame["product_id"], frame["product_external_id"], strict=True))
    pool = [int(i) for i in frame["product_id"]]
    probe = SupplierProbe(request, query, mine[:1], pool)
    assert mini_service.score_candidates([probe])[0].ids == (mine[0],)
    shown = replace(probe, shown=(str(named[mine[0]]),))
    found = mini_service.score_candidates([shown])[0]
    assert sorted(found.ids) == sorted(mine)
    assert set(found.targets) == {supplier}
    # A shown product not probed brings nothing.
    other = replace(probe, shown=(str(named[mine[1]]),))
    assert mini_service.score_candidates([other])[0].ids == (mine[0],)
