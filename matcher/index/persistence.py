"""Versioned, checksummed index directories with an atomic switch.

Layout: ``<root>/<name>/<version>/{index.faiss, catalog.parquet, manifest.json}`` and a
``<root>/<name>/CURRENT`` file naming the live version. A version directory is written in
full, fsynced, and only then does ``CURRENT`` move (write to a temp file, fsync, rename), so a
reader never sees a half-written index. Loading verifies each file's SHA-256 against the
manifest and falls back to the newest older version that verifies.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import shutil
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from matcher.errors import IndexCorruptError, IndexNotReadyError

log = logging.getLogger(__name__)

KEEP_VERSIONS = 3


@dataclass(frozen=True)
class Manifest:
    name: str
    version: str
    model: str
    dim: int
    count: int
    built_at: str
    files: dict[str, str]  # file name -> sha256
    fingerprint: str = ""  # what the index was built from (see products.catalog_fingerprint)
    extra: dict[str, Any] = field(default_factory=dict)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fsync_write(path: Path, data: bytes) -> None:
    with path.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def new_version() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")


@dataclass(frozen=True)
class LinkedFile:
    """A file an older version already holds, unchanged (a nightly upsert leaves the base
    index as it was): hard-linked into the new version where the filesystem allows, copied
    otherwise, with the checksum the older version's manifest recorded (a base of hundreds
    of megabytes is then neither rewritten nor hashed again)."""

    source: Path
    sha256: str


FileContent = bytes | Callable[[Path], None] | LinkedFile


def publish(
    root: Path,
    name: str,
    files: dict[str, FileContent],
    *,
    model: str,
    dim: int,
    count: int,
    fingerprint: str,
    extra: dict[str, Any] | None = None,
) -> Manifest:
    """Write a new version and make it current atomically.

    A file's content is bytes, or a function that writes it to the path it is given (large
    indexes are streamed to disk rather than held twice in memory).
    """
    base = root / name
    version = new_version()
    staging = base / f".staging-{version}"
    staging.mkdir(parents=True, exist_ok=False)
    checksums: dict[str, str] = {}
    for file_name, content in files.items():
        path = staging / file_name
        if isinstance(content, LinkedFile):
            try:
                os.link(content.source, path)
            except OSError:  # another filesystem, or links not allowed: copy
                shutil.copyfile(content.source, path)
            checksums[file_name] = content.sha256
            continue
        if isinstance(content, bytes):
            _fsync_write(path, content)
        else:
            content(path)
            with path.open("rb+") as handle:
                os.fsync(handle.fileno())
        checksums[file_name] = _sha256(path)
    manifest = Manifest(
        name=name,
        version=version,
        model=model,
        dim=dim,
        count=count,
        built_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        files=checksums,
        fingerprint=fingerprint,
        extra=extra or {},
    )
    _fsync_write(staging / "manifest.json", json.dumps(asdict(manifest), indent=2).encode())
    _fsync_dir(staging)
    final = base / version
    staging.rename(final)
    # A temp name of its own: two builders publishing at once (a request building a missing
    # index while the background refresh builds it too) must not rename each other's file.
    pointer = base / f"CURRENT.{os.getpid()}.{threading.get_ident()}.tmp"
    _fsync_write(pointer, version.encode())
    pointer.replace(base / "CURRENT")
    _fsync_dir(base)
    _prune(base, keep=KEEP_VERSIONS)
    return manifest


def _versions(base: Path) -> list[str]:
    return sorted(
        (p.name for p in base.iterdir() if p.is_dir() and not p.name.startswith(".")),
        reverse=True,
    )


def _prune(base: Path, keep: int) -> None:
    current = (base / "CURRENT").read_text().strip()
    for version in _versions(base)[keep:]:
        if version != current:
            shutil.rmtree(base / version, ignore_errors=True)


def pointed_version(root: Path, name: str) -> str | None:
    """The version a collection's CURRENT pointer names (None: nothing published), read
    without verifying it."""
    pointer = root / name / "CURRENT"
    try:
        return pointer.read_text().strip()
    except FileNotFoundError:
        return None


def read_manifest(directory: Path) -> Manifest:
    try:
        data = json.loads((directory / "manifest.json").read_text())
        return Manifest(**data)
    except (OSError, ValueError, TypeError) as exc:
        raise IndexCorruptError(
            f"{directory / 'manifest.json'}: unreadable manifest ({exc})"
        ) from exc


def verify(directory: Path) -> Manifest:
    """Check every file of a version against its manifest; raise ``IndexCorruptError``
    naming the first bad file."""
    manifest = read_manifest(directory)
    for file_name, expected in manifest.files.items():
        path = directory / file_name
        if not path.exists():
            raise IndexCorruptError(f"{path}: missing")
        if _sha256(path) != expected:
            raise IndexCorruptError(f"{path}: checksum mismatch (truncated or corrupted)")
    return manifest


@dataclass(frozen=True)
class LoadedVersion:
    directory: Path
    manifest: Manifest
    problems: tuple[str, ...]  # corrupt newer versions that were skipped


def current(root: Path, name: str) -> LoadedVersion:
    """The current version if it verifies, else the newest older one that does."""
    base = root / name
    if not base.exists():
        raise IndexNotReadyError(f"no '{name}' index under {root}; run `tradematch index build`")
    order = _versions(base)
    pointer = base / "CURRENT"
    if pointer.exists():
        head = pointer.read_text().strip()
        if head in order:
            order.remove(head)
            order.insert(0, head)
    problems: list[str] = []
    for version in order:
        try:
            manifest = verify(base / version)
        except IndexCorruptError as exc:
            log.error("index version rejected: %s", exc)
            problems.append(str(exc))
            continue
        return LoadedVersion(base / version, manifest, tuple(problems))
    detail = "; ".join(problems) or "no versions"
    raise IndexNotReadyError(f"no valid '{name}' index under {root} ({detail})")
