"""The default runtime (onnxruntime on the exported graph) against sentence-transformers.

The indexes and the embedding cache hold vectors from whichever runtime built them, under one
encoder name; this holds only if both runtimes give the same vector for every text. Checked on
the 620 parity texts in four languages, for queries and documents, and on a text longer than
the model's 512 tokens (truncation must match too).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest

from matcher.config import Settings
from matcher.embedding import onnx_export
from matcher.embedding.encoders import SentenceTransformerEncoder, build_encoder
from matcher.embedding.onnx_encoder import OnnxEncoder
from matcher.errors import ConfigurationError
from tests.matcher.embedding import test_encoders
from tests.matcher.embedding.encoder_contract import (
    EncoderContract,
    paired_cosines,
    parity_texts,
)


def _onnx() -> OnnxEncoder:
    encoder = build_encoder(Settings(_env_file=None))  # type: ignore[call-arg]
    assert isinstance(encoder, OnnxEncoder)  # the default runtime
    assert encoder.name == "multilingual-e5-small"  # the same cache and indexes as torch
    return encoder


class TestMultilingualE5Onnx(EncoderContract):
    paraphrases: ClassVar[list[tuple[str, str, str]]] = test_encoders.TestMultilingualE5.paraphrases

    def make_encoder(self) -> OnnxEncoder:
        return _onnx()


@pytest.fixture(scope="module")
def both() -> tuple[OnnxEncoder, SentenceTransformerEncoder]:
    torch = build_encoder(Settings(encoder_runtime="torch", _env_file=None))  # type: ignore[call-arg]
    assert isinstance(torch, SentenceTransformerEncoder)
    return _onnx(), torch


@pytest.mark.slow
@pytest.mark.parametrize("role", ["query", "document"])
def test_the_same_vectors_as_sentence_transformers(
    both: tuple[OnnxEncoder, SentenceTransformerEncoder], role: str
) -> None:
    onnx, torch = both
    texts = [r["text"] for r in parity_texts()]
    cosine = paired_cosines(onnx, torch, texts, role)
    print(f"\n{role}: n={len(texts)} min cosine {cosine.min():.7f}")
    assert cosine.min() >= 0.99999, texts[int(np.argmin(cosine))]


def test_long_texts_are_truncated_as_sentence_transformers_does(
    both: tuple[OnnxEncoder, SentenceTransformerEncoder],
) -> None:
    onnx, torch = both
    long = "스테인리스 플랜지 제조, ISO 9001. " * 300
    assert onnx.tokenize_count(long, "document") == torch.max_seq_length == 512
    ours, ref = onnx.encode_documents([long, "copper tube"]), torch.encode_documents([long])
    assert float(ours[0] @ ref[0]) >= 0.99999


def test_a_query_does_not_depend_on_its_batch(
    both: tuple[OnnxEncoder, SentenceTransformerEncoder],
) -> None:
    onnx, _ = both
    texts = [f"Korean supplier of product {i} wanted, {'long ' * (i % 37)}" for i in range(150)]
    parallel = OnnxEncoder(onnx.model_dir, batch_size=16, threads=4).encode_queries(texts)
    one_by_one = np.vstack([onnx.encode_queries([t]) for t in texts[:20]])
    np.testing.assert_allclose(parallel[:20], one_by_one, atol=1e-5)


def test_a_missing_graph_names_the_command_that_builds_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="tradematch model build"):
        OnnxEncoder(tmp_path).encode_queries(["kimchi"])


def test_only_mean_pooling_is_exported(tmp_path: Path) -> None:
    source = onnx_export.onnx_path(_onnx().model_dir).parents[1]
    model = tmp_path / "model"
    (model / "1_Pooling").mkdir(parents=True)
    shutil.copy(source / "modules.json", model / "modules.json")
    config = json.loads((source / "1_Pooling" / "config.json").read_text(encoding="utf-8"))
    config |= {"pooling_mode_mean_tokens": False, "pooling_mode_cls_token": True}
    (model / "1_Pooling" / "config.json").write_text(json.dumps(config), encoding="utf-8")
    with pytest.raises(ConfigurationError, match="pooling_mode_cls_token"):
        onnx_export.export(model)
