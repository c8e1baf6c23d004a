"""Consortium proposals: 30 manufacturers and 60 service firms in one market. Capacity and the
at-most-M rule hold, coverage is reported against the LP bound, and the program is fast."""

from __future__ import annotations

import numpy as np
import pytest

from matcher.domain.enums import Industry, ServiceType
from matcher.pairing.consortia import Member, greedy_consortia, propose_consortia
from matcher.pairing.gaps import ManufacturerProfile, derive_gaps
from matcher.pairing.partners import ServiceOffer

INDUSTRIES = [
    Industry.MEDICAL_DEVICES,
    Industry.COSMETICS,
    Industry.FOOD,
    Industry.INDUSTRIAL_MACHINERY,
    Industry.AUTO_PARTS,
    Industry.CONSTRUCTION_MACHINERY,
]
HS = {
    Industry.MEDICAL_DEVICES: "901819",
    Industry.COSMETICS: "330499",
    Industry.FOOD: "190230",
    Industry.INDUSTRIAL_MACHINERY: "848180",
    Industry.AUTO_PARTS: "870899",
    Industry.CONSTRUCTION_MACHINERY: "842952",
}


def _market(seed: int = 3) -> tuple[list[Member], list[ServiceOffer]]:
    rng = np.random.default_rng(seed)
    members = []
    for i in range(30):
        industry = INDUSTRIES[i % len(INDUSTRIES)]
        profile = ManufacturerProfile(
            industry=industry,
            export_stage=["beginner", "growth", "mature"][int(rng.integers(0, 3))],
            certifications=["ISO9001"] if rng.random() < 0.5 else [],
            languages=["ko", "en"] if rng.random() < 0.6 else ["ko"],
            hs_codes=[HS[industry]],
            homepage="https://x.kr" if rng.random() < 0.5 else None,
        )
        members.append(Member(1000 + i, industry.value, tuple(derive_gaps(profile, "IN"))))
    kinds = list(ServiceType)
    offers = [
        ServiceOffer(
            offering_id=2000 + j,
            firm_id=2000 + j,
            service_type=kinds[j % len(kinds)],
            markets=["IN"] if rng.random() < 0.8 else ["VN"],
            languages=["ko", "en", "hi"] if rng.random() < 0.5 else ["ko", "en"],
            capacity_left=int(rng.integers(1, 4)),
        )
        for j in range(60)
    ]
    return members, offers


@pytest.mark.parametrize("mode", ["cross_industry", "same_industry"])
def test_thirty_manufacturers_and_sixty_service_firms(mode: str) -> None:
    members, offers = _market()
    proposal = propose_consortia(members, offers, "IN", mode=mode, max_consortia=3)
    assert sorted(m for c in proposal.consortia for m in c.manufacturers) == [
        m.firm_id for m in members
    ]
    capacity = {o.firm_id: o.capacity_left for o in offers}
    for firm, load in proposal.load.items():  # no service firm over its capacity
        assert load <= capacity[firm], (firm, load, capacity[firm])
    appearances: dict[int, int] = {}
    for c in proposal.consortia:
        assert len(c.services) <= 4
        for firm in c.services:
            appearances[firm] = appearances.get(firm, 0) + 1
        for _, _, _, by in c.covered:  # every covered gap is closed by a member firm
            assert by in c.services
    assert max(appearances.values()) <= 3  # each firm in at most M consortia
    assert 0.0 < proposal.coverage <= proposal.bound + 1e-9 <= 1.0 + 1e-9
    assert "Optimal" in proposal.status  # solved to optimality, not stopped at the limit


def test_a_vietnam_only_firm_is_never_proposed_for_india() -> None:
    members, offers = _market()
    vietnam_only = {o.firm_id for o in offers if list(o.markets) == ["VN"]}
    proposal = propose_consortia(members, offers, "IN")
    assert not vietnam_only & {f for c in proposal.consortia for f in c.services}


def test_an_unknown_mode_is_an_error() -> None:
    members, offers = _market()
    with pytest.raises(ValueError, match="mode must be"):
        propose_consortia(members, offers, "IN", mode="random")


@pytest.mark.parametrize("mode", ["cross_industry", "same_industry"])
def test_the_greedy_baseline_respects_the_same_limits(mode: str) -> None:
    members, offers = _market()
    greedy = greedy_consortia(members, offers, "IN", mode=mode, max_consortia=3)
    exact = propose_consortia(members, offers, "IN", mode=mode, max_consortia=3)
    capacity = {o.firm_id: o.capacity_left for o in offers}
    for firm, load in greedy.load.items():
        assert load <= capacity[firm]
    appearances: dict[int, int] = {}
    for c in greedy.consortia:
        assert len(c.services) <= 4
        for firm in c.services:
            appearances[firm] = appearances.get(firm, 0) + 1
    assert max(appearances.values()) <= 3
    # The MILP optimum is never below the greedy's coverage, nor above the LP bound.
    assert greedy.coverage <= exact.coverage + 1e-9 <= exact.bound + 2e-9
