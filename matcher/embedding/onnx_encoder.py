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
from functools import cached_property
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from matcher._lazy import require
from matcher.embedding.encoders import Vectors
from matcher.embedding.onnx_export import onnx_path
from matcher.errors import ConfigurationError


class _Runtime(NamedTuple):
    session: Any  # onnxruntime.InferenceSession
    tokenizer: Any  # tokenizers.Tokenizer, truncating at max_seq_length


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
        self._runtime: _Runtime | None = None
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return self._name

    def _json(self, name: str) -> dict[str, Any]:
        path = self.model_dir / name
        config: dict[str, Any] = (
            json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
        )
        return config

    @cached_property
    def dim(self) -> int:
        return int(self._json("config.json")["hidden_size"])

    @cached_property
    def max_seq_length(self) -> int:
        return int(self._json("sentence_bert_config.json").get("max_seq_length") or 512)

    @cached_property
    def _prompts(self) -> dict[str, str]:
        prompts: dict[str, str] = (
            self._json("config_sentence_transformers.json").get("prompts") or {}
        )
        document = prompts.get("document", prompts.get("passage", ""))
        return {"query": prompts.get("query", ""), "document": document}

    def _load(self) -> _Runtime:
        """The session and tokenizer, loaded once, thread-safely."""
        if self._runtime is None:
            with self._lock:
                if self._runtime is None:
                    self._runtime = self._open()
        return self._runtime

    def _open(self) -> _Runtime:
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
        tokenizer.enable_truncation(max_length=self.max_seq_length)
        return _Runtime(session, tokenizer)

    def tokenize_count(self, text: str, role: str) -> int:
        """Tokens the model sees for ``text`` (prompt and special tokens included; after
        truncation, so at most ``max_seq_length``)."""
        return len(self._load().tokenizer.encode(self._prompts[_role(role)] + text).ids)

    def _run(self, ids: list[list[int]]) -> Vectors:
        """One padded batch through the graph."""
        width = max(len(row) for row in ids)
        input_ids = np.zeros((len(ids), width), np.int64)
        mask = np.zeros((len(ids), width), np.int64)
        for i, row in enumerate(ids):
            input_ids[i, : len(row)] = row
            mask[i, : len(row)] = 1
        out = self._load().session.run(None, {"input_ids": input_ids, "attention_mask": mask})
        return np.asarray(out[0], dtype=np.float32)

    def _encode(self, texts: Sequence[str], role: str) -> Vectors:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        prompt = self._prompts[role]
        ids = [e.ids for e in self._load().tokenizer.encode_batch([prompt + t for t in texts])]
        # Longest first, as sentence-transformers orders them: batches of similar lengths.
        order = np.argsort([-len(row) for row in ids], kind="stable")
        chunks = [order[i : i + self.batch_size] for i in range(0, len(order), self.batch_size)]

        def run(chunk: np.ndarray) -> Vectors:
            return self._run([ids[j] for j in chunk])

        if len(chunks) > 1 and self.threads > 1:
            with ThreadPoolExecutor(min(self.threads, len(chunks))) as pool:
                results = list(pool.map(run, chunks))
        else:
            results = [run(chunk) for chunk in chunks]
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for chunk, vectors in zip(chunks, results, strict=True):
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
