"""Cross-lingual retrieval evaluation of encoders.

Each set is (query, the correct product text, distractors). A query is encoded as a query,
the products as documents, and the candidates are ranked by cosine. Top-1 accuracy and MRR
come from ir-measures (P@1 and RR), per query language.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from matcher._lazy import require
from matcher.embedding.encoders import Encoder


@dataclass(frozen=True)
class RetrievalSet:
    id: str
    query_lang: str
    query: str
    positive: str
    negatives: tuple[str, ...]


def load_sets(path: Path) -> list[RetrievalSet]:
    sets = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            sets.append(
                RetrievalSet(
                    row["id"],
                    row["query_lang"],
                    row["query"],
                    row["positive"],
                    tuple(row["negatives"]),
                )
            )
    return sets


@dataclass(frozen=True)
class LanguageScore:
    lang: str
    sets: int
    top1: float
    mrr: float


def evaluate_retrieval(encoder: Encoder, sets: list[RetrievalSet]) -> list[LanguageScore]:
    """Per-language top-1 and MRR, plus an 'all' row."""
    ir = require("ir_measures", "ir-measures")
    texts = sorted({t for s in sets for t in (s.positive, *s.negatives)})
    position = {t: i for i, t in enumerate(texts)}
    docs = encoder.encode_documents(texts)
    queries = encoder.encode_queries([s.query for s in sets])
    qrels: dict[str, dict[str, int]] = {}
    run: dict[str, dict[str, float]] = {}
    for s, q in zip(sets, queries, strict=True):
        candidates = (s.positive, *s.negatives)
        qrels[s.id] = {f"d{position[s.positive]}": 1}
        run[s.id] = {f"d{position[t]}": float(docs[position[t]] @ q) for t in candidates}
    per_query: dict[str, dict[str, float]] = defaultdict(dict)
    for metric in ir.iter_calc([ir.P @ 1, ir.RR], qrels, run):
        per_query[metric.query_id][str(metric.measure)] = float(metric.value)
    langs = sorted({s.query_lang for s in sets})
    rows = []
    for lang in [*langs, "all"]:
        ids = [s.id for s in sets if lang in ("all", s.query_lang)]
        rows.append(
            LanguageScore(
                lang,
                len(ids),
                sum(per_query[i]["P@1"] for i in ids) / len(ids),
                sum(per_query[i]["RR"] for i in ids) / len(ids),
            )
        )
    return rows
