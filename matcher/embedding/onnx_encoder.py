"""The multilingual encoder on onnxruntime: the same vectors as sentence-transformers, faster.

Why: encoding the query is the largest part of a live match's CPU (issue 7's load target).
The exported graph (``onnx_export``) fuses attention, GELU and layer norms and pools inside,
so a short query costs about half of what PyTorch's eager mode costs, for the same vectors.

How it mirrors sentence-transformers, so indexes built by either stay valid:
- the prompts come from the model's ``config_sentence_transformers.json`` (``query: `` and
  ``passage: `` for e5), prepended to the text as sentence-transformers does;
- ``tokenizer.json`` tokenises, truncated at the model's ``max_seq_length`` with the special
  tokens counted, as sentence-transformers' tokenizer call does;
- texts are batched by length (less padding); padding is masked out of the mean, so a text's
  vector does not depend on its batch.

Threads: the session runs each call on one intra-op thread. A query is one call; a batch of
documents is split into chunks encoded in parallel by ``threads`` Python threads
(onnxruntime releases the GIL while it runs), which uses the cores better than splitting
each small matrix product between them, and never makes concurrent requests wait on each
other's thread pools.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from matcher._lazy import require
from matcher.embedding.encoders import Vectors
from matcher.embedding.onnx_export import onnx_path
from matcher.errors import ConfigurationError


class OnnxEncoder:
    """A sentence-transformers directory with an exported ``onnx/model.onnx`` (mean pooling,
    normalised), run by onnxruntime. The session loads on first use."""

    def __init__(
        self,
        model_dir: str | Path,
        *,
        name: str | None = None,
        batch_size: int = 64,
        threads: int = 1,
    ) -> None:
        self.model_dir = Path(model_dir)
        self._name = name or self.model_dir.name
        self.batch_size = batch_size
        self.threads = threads
        self._loaded: tuple[Any, Any, dict[str, str], int] | None = None
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return self._name

    def _load(self) -> tuple[Any, Any, dict[str, str], int]:
        """(session, tokenizer, prompts, dim), loaded once, thread-safely."""
        if self._loaded is not None:
            return self._loaded
        with self._lock:
            if self._loaded is None:
                self._loaded = self._open()
        return self._loaded

    def _open(self) -> tuple[Any, Any, dict[str, str], int]:
        ort = require("onnxruntime")
        tokenizers = require("tokenizers")
        graph = onnx_path(self.model_dir)
        if not graph.is_file():
            raise ConfigurationError(
                f"{graph} is missing: run `tradematch model build` (or `make model`)"
            )
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        session = ort.InferenceSession(str(graph), options, providers=["CPUExecutionProvider"])
        tokenizer = tokenizers.Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
        tokenizer.no_padding()
        tokenizer.enable_truncation(max_length=self._max_seq_length())
        return session, tokenizer, self._prompts(), self._hidden_size()

    def _max_seq_length(self) -> int:
        path = self.model_dir / "sentence_bert_config.json"
        config = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
        return int(config.get("max_seq_length") or 512)

    def _prompts(self) -> dict[str, str]:
        path = self.model_dir / "config_sentence_transformers.json"
        config = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
        prompts: dict[str, str] = config.get("prompts") or {}
        document = prompts.get("document", prompts.get("passage", ""))
        return {"query": prompts.get("query", ""), "document": document}

    @property
    def dim(self) -> int:
        if self._loaded is not None:
            return self._loaded[3]
        return self._hidden_size()  # without loading the session (caches ask first)

    def _hidden_size(self) -> int:
        config = json.loads((self.model_dir / "config.json").read_text(encoding="utf-8"))
        return int(config["hidden_size"])

    @property
    def max_seq_length(self) -> int:
        return self._max_seq_length()

    def tokenize_count(self, text: str, role: str) -> int:
        """Tokens the model sees for ``text`` (prompt and special tokens included; after
        truncation, so at most ``max_seq_length``)."""
        _, tokenizer, prompts, _ = self._load()
        return len(tokenizer.encode(prompts[_role(role)] + text).ids)

    def _run(self, ids: list[list[int]]) -> Vectors:
        """One padded batch through the graph."""
        session = self._load()[0]
        width = max(len(row) for row in ids)
        input_ids = np.zeros((len(ids), width), np.int64)
        mask = np.zeros((len(ids), width), np.int64)
        for i, row in enumerate(ids):
            input_ids[i, : len(row)] = row
            mask[i, : len(row)] = 1
        out = session.run(None, {"input_ids": input_ids, "attention_mask": mask})[0]
        return np.asarray(out, dtype=np.float32)

    def _encode(self, texts: Sequence[str], role: str) -> Vectors:
        _, tokenizer, prompts, dim = self._load()
        if not texts:
            return np.zeros((0, dim), dtype=np.float32)
        prompt = prompts[role]
        encoded = tokenizer.encode_batch([prompt + t for t in texts])
        ids = [e.ids for e in encoded]
        # Longest first, as sentence-transformers orders them: batches of similar lengths.
        order = np.argsort([-len(row) for row in ids], kind="stable")
        chunks = [order[i : i + self.batch_size] for i in range(0, len(order), self.batch_size)]
        out = np.empty((len(texts), dim), dtype=np.float32)
        if len(chunks) == 1 or self.threads <= 1:
            for chunk in chunks:
                out[chunk] = self._run([ids[j] for j in chunk])
        else:
            with ThreadPoolExecutor(min(self.threads, len(chunks))) as pool:
                for chunk, vectors in zip(
                    chunks, pool.map(lambda c: self._run([ids[j] for j in c]), chunks), strict=True
                ):
                    out[chunk] = vectors
        return out

    def encode_queries(self, texts: Sequence[str]) -> Vectors:
        return self._encode(texts, "query")

    def encode_documents(self, texts: Sequence[str], *, show_progress: bool = False) -> Vectors:
        """``show_progress`` is accepted for the protocol and ignored: callers report
        progress per call (the embedding cache encodes 4,096 texts a call)."""
        return self._encode(texts, "document")


def _role(role: str) -> str:
    return "query" if role == "query" else "document"
