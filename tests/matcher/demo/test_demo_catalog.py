"""Fast checks of the demo's static data and of the hash-seeded latents (no files written)."""

from __future__ import annotations

import string

import numpy as np
import pytest

from matcher.demo import catalog
from matcher.demo.hidden_fit import (
    DEFAULT,
    PERTURBED,
    BuyerTable,
    ExporterTable,
    HiddenWeights,
    hs_depth,
    id_keys,
    latent_normal,
    pair_fit,
    pair_noise,
)
from matcher.domain import hscodes
from matcher.domain.enums import FunnelStage, Industry, ServiceType


def test_catalog_is_valid_and_sized_like_the_brief() -> None:
    catalog.validate_catalog()
    assert 40 <= len(catalog.PRODUCT_TYPES) <= 70
    industries = {p.industry for p in catalog.PRODUCT_TYPES}
    assert set(catalog.MANUFACTURER_INDUSTRIES) <= industries


def test_every_hs_code_and_prefix_is_in_the_nomenclature() -> None:
    for ptype in catalog.PRODUCT_TYPES:
        for code in ptype.hs_codes:
            assert hscodes.is_known(code), (ptype.key, code)
            assert hscodes.is_known(code[:4]) and hscodes.is_known(code[:2]), (ptype.key, code)


def test_valves_and_stainless_fittings_are_in_the_catalogue() -> None:
    codes = {c for p in catalog.PRODUCT_TYPES for c in p.hs_codes}
    assert {"848180", "848130", "848140"} <= codes
    assert {"730723", "730721"} <= codes
    assert {c[:4] for c in codes} >= {"7304", "7306", "7307", "8481"}
    valve_types = [
        p for p in catalog.PRODUCT_TYPES if any(c.startswith("8481") for c in p.hs_codes)
    ]
    assert len(valve_types) >= 4
    assert any("ball valve" in t for p in valve_types for t in p.en)
    assert any("chemical plants" in o.en for o in catalog.PLANT)


def test_templates_only_use_their_slots_in_every_language() -> None:
    for ptype in catalog.PRODUCT_TYPES:
        for lang in catalog.TEXT_LANGUAGES:
            for template in ptype.templates(lang):
                fields = {f for _, f, _, _ in string.Formatter().parse(template) if f}
                assert fields <= set(ptype.slots), (ptype.key, lang, template)


def test_every_service_type_has_descriptions_in_korean_and_english() -> None:
    for stype in ServiceType:
        ko, en = catalog.SERVICE_TEMPLATES[stype]
        assert ko and en
        assert stype in catalog.SERVICE_WEIGHTS and catalog.SERVICE_SECTORS[stype]


def test_halal_is_never_a_vietnamese_requirement() -> None:
    from matcher.demo.generator import _BUYER_CERT_RULES

    for countries, _, cert, _ in _BUYER_CERT_RULES:
        if cert == "HALAL":
            assert countries is not None and "VN" not in countries


def test_step_targets_reproduce_the_documented_contract_probabilities() -> None:
    from matcher.demo.generator import step_targets

    targets = step_targets()[1:]
    assert targets == pytest.approx((1 / 3, 3 / 4, 4 / 7, 7 / 10))
    chain = 1.0
    expected = {}
    for stage, step in zip(reversed(FunnelStage.progression()[:4]), reversed(targets), strict=True):
        chain *= step
        expected[stage] = chain
    for stage, prob in expected.items():
        assert prob == pytest.approx(stage.contract_probability)


def test_latents_are_a_pure_function_of_seed_and_id() -> None:
    keys = id_keys([f"EXP-{i:07d}" for i in range(20_000)])
    a = latent_normal(1, "exporter-quality", keys)
    assert np.array_equal(a, latent_normal(1, "exporter-quality", keys))
    assert not np.array_equal(a, latent_normal(2, "exporter-quality", keys))
    assert not np.array_equal(a, latent_normal(1, "buyer-openness", keys))
    assert abs(a.mean()) < 0.03 and abs(a.std() - 1.0) < 0.03
    # Reordering the ids reorders the latents: nothing depends on generation order.
    assert np.array_equal(latent_normal(1, "exporter-quality", keys[::-1]), a[::-1])
    noise = pair_noise(1, keys[:100], keys[100:200])
    assert np.array_equal(noise, pair_noise(1, keys[:100], keys[100:200]))


def test_hs_depth_counts_shared_levels() -> None:
    products = np.array([[848180, -1], [730723, 848130], [190230, -1]], np.int32)
    codes = np.array([[848180, 0], [8481, 73], [33, 0]], np.int32)
    lengths = np.array([[6, 0], [4, 2], [2, 0]], np.int8)
    assert hs_depth(products, codes, lengths).tolist() == [3, 2, 0]


def test_fit_rewards_hs_agreement_and_certificates() -> None:
    exporters = ExporterTable.empty(2)
    exporters.keys[:] = id_keys(["a", "b"])
    exporters.hs[0, 0] = 848180  # valves
    exporters.hs[1, 0] = 190230  # noodles
    exporters.certs[0] = 1 << catalog.CERT_BIT["API6D"]
    buyers = BuyerTable.empty(1)
    buyers.keys[:] = id_keys(["x"])
    buyers.prefix_code[0, 0], buyers.prefix_len[0, 0] = 848180, 6
    buyers.required[0] = 1 << catalog.CERT_BIT["API6D"]
    no_noise = HiddenWeights(quality=0.0, openness=0.0, noise=0.0)
    fit = pair_fit(7, exporters, np.array([0, 1]), buyers, np.array([0, 0]), no_noise)
    assert fit[0] > fit[1] + 1.0


def test_perturbed_weights_are_clearly_different() -> None:
    assert HiddenWeights.DEFAULT is DEFAULT and HiddenWeights.PERTURBED is PERTURBED
    d, p = DEFAULT.as_dict(), PERTURBED.as_dict()
    changed = [k for k in d if abs(d[k] - p[k]) >= 0.3]
    assert len(changed) >= 5


def test_industry_terms_cover_every_industry_used() -> None:
    used = {p.industry for p in catalog.PRODUCT_TYPES} | {Industry.SERVICES}
    assert used <= set(catalog.INDUSTRY_TERMS)
