"""The contract every encoder passes. A test class inherits ``EncoderContract`` and sets
``make_encoder``; the encoder is built once per class (models take seconds to load)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import ClassVar

import numpy as np

from matcher.embedding.encoders import Encoder

PARITY_TEXTS = Path(__file__).resolve().parents[2] / "data" / "encoder_parity_texts.jsonl"


def parity_texts() -> list[dict[str, str]]:
    """The committed parity set: ``{"text", "lang"}`` rows in ko, vi, hi and en."""
    lines = PARITY_TEXTS.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line]


def paired_cosines(ours: Encoder, ref: Encoder, strings: list[str], role: str) -> np.ndarray:
    """Per text, the cosine between two encoders' vectors for ``role`` (query or document)."""
    if role == "query":
        a, b = ours.encode_queries(strings), ref.encode_queries(strings)
    else:
        a, b = ours.encode_documents(strings), ref.encode_documents(strings)
    cosine: np.ndarray = (a * b).sum(axis=1)
    return cosine


class EncoderContract:
    # Pairs (a, b, unrelated): a and b say the same thing; unrelated does not.
    paraphrases: ClassVar[list[tuple[str, str, str]]] = [
        (
            "stainless steel ball valve",
            "ball valves made of stainless steel",
            "spicy instant noodles",
        ),
        ("instant noodles", "ramen noodle cups", "hydraulic excavator"),
    ]
    _cache: ClassVar[dict[type, Encoder]] = {}

    def make_encoder(self) -> Encoder:
        raise NotImplementedError

    @property
    def encoder(self) -> Encoder:
        cls = type(self)
        if cls not in EncoderContract._cache:
            EncoderContract._cache[cls] = self.make_encoder()
        return EncoderContract._cache[cls]

    def test_satisfies_the_protocol(self) -> None:
        assert isinstance(self.encoder, Encoder)
        assert self.encoder.name
        assert self.encoder.dim > 0

    def test_vectors_are_unit_length_float32_rows(self) -> None:
        texts = ["kimchi", "배추김치 수출", "kim chi Hàn Quốc", "stainless steel ball valve"]
        for vectors in (self.encoder.encode_queries(texts), self.encoder.encode_documents(texts)):
            assert vectors.dtype == np.float32
            assert vectors.shape == (len(texts), self.encoder.dim)
            np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)

    def test_empty_input_gives_an_empty_matrix(self) -> None:
        assert self.encoder.encode_documents([]).shape == (0, self.encoder.dim)

    def test_encoding_is_deterministic_and_batch_independent(self) -> None:
        one = self.encoder.encode_documents(["red ginseng extract"])
        many = self.encoder.encode_documents(["red ginseng extract", "copper wire rod"])
        np.testing.assert_allclose(one[0], many[0], atol=1e-4)

    def test_paraphrases_are_closer_than_unrelated_text(self) -> None:
        for a, b, unrelated in self.paraphrases:
            q = self.encoder.encode_queries([a])[0]
            docs = self.encoder.encode_documents([b, unrelated])
            assert docs[0] @ q > docs[1] @ q, (a, b, unrelated)
