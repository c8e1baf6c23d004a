from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from matcher.errors import IndexCorruptError, IndexNotReadyError
from matcher.index import persistence
from matcher.index.vector_index import VectorIndex


def _unit(rng: np.random.Generator, n: int, d: int) -> np.ndarray:
    x = rng.normal(size=(n, d)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_search_equals_brute_force_and_returns_external_ids() -> None:
    rng = np.random.default_rng(0)
    x = _unit(rng, 500, 32)
    ids = np.arange(10_000, 10_500, dtype=np.int64)
    index = VectorIndex(32).build(ids, x)
    q = _unit(rng, 5, 32)
    scores, found = index.search(q, 10)
    expected = ids[np.argsort(-(q @ x.T), axis=1)[:, :10]]
    np.testing.assert_array_equal(found, expected)
    np.testing.assert_allclose(scores[:, 0], np.max(q @ x.T, axis=1), rtol=1e-5)


def test_filtered_search_returns_only_allowed_ids_and_k_of_them_when_they_exist() -> None:
    rng = np.random.default_rng(1)
    x = _unit(rng, 2000, 16)
    ids = np.arange(2000, dtype=np.int64)
    index = VectorIndex(16).build(ids, x)
    allowed = ids[::97]  # ~1% of the collection
    _, found = index.search(_unit(rng, 3, 16), 10, allowed=allowed)
    assert set(found.ravel()) <= set(allowed)
    assert (found >= 0).all()
    _, none = index.search(_unit(rng, 1, 16), 5, allowed=np.array([], dtype=np.int64))
    assert (none == -1).all()


def test_bad_shapes_are_rejected() -> None:
    with pytest.raises(ValueError, match="shape"):
        VectorIndex(8).build(np.arange(3), np.zeros((3, 4), dtype=np.float32))
    with pytest.raises(RuntimeError, match="empty"):
        VectorIndex(8).search(np.zeros((1, 8), dtype=np.float32), 3)


def _publish(root: Path, payload: bytes) -> persistence.Manifest:
    return persistence.publish(
        root, "things", {"index.faiss": payload}, model="m", dim=4, count=1, fingerprint="f"
    )


def test_a_truncated_current_version_falls_back_to_the_last_good_one(tmp_path: Path) -> None:
    good = _publish(tmp_path, b"good-bytes" * 100)
    newer = _publish(tmp_path, b"newer-bytes" * 100)
    assert persistence.current(tmp_path, "things").manifest.version == newer.version
    broken = tmp_path / "things" / newer.version / "index.faiss"
    broken.write_bytes(broken.read_bytes()[:50])  # truncate
    with pytest.raises(IndexCorruptError, match=str(broken)):
        persistence.verify(broken.parent)
    loaded = persistence.current(tmp_path, "things")
    assert loaded.manifest.version == good.version
    assert loaded.problems and "checksum mismatch" in loaded.problems[0]


def test_no_valid_version_is_a_clear_not_ready_error(tmp_path: Path) -> None:
    with pytest.raises(IndexNotReadyError, match="index build"):
        persistence.current(tmp_path, "things")
    only = _publish(tmp_path, b"x" * 10)
    (tmp_path / "things" / only.version / "index.faiss").unlink()
    with pytest.raises(IndexNotReadyError, match="missing"):
        persistence.current(tmp_path, "things")


def test_old_versions_are_pruned(tmp_path: Path) -> None:
    for i in range(persistence.KEEP_VERSIONS + 2):
        _publish(tmp_path, bytes([i]) * 10)
    versions = [p for p in (tmp_path / "things").iterdir() if p.is_dir()]
    assert len(versions) == persistence.KEEP_VERSIONS


def test_serialisation_round_trip() -> None:
    rng = np.random.default_rng(2)
    x = _unit(rng, 50, 8)
    index = VectorIndex(8).build(np.arange(50, dtype=np.int64) + 7, x)
    again = VectorIndex.from_bytes(index.to_bytes())
    q = _unit(rng, 2, 8)
    np.testing.assert_array_equal(index.search(q, 5)[1], again.search(q, 5)[1])


def test_concurrent_publishers_of_one_index_do_not_collide(tmp_path: Path) -> None:
    """A request building a missing index while the background refresh builds it too: both
    publish, neither fails, and CURRENT names a complete version."""
    import threading

    errors: list[BaseException] = []

    def publish_many(tag: bytes) -> None:
        try:
            for _ in range(25):
                _publish(tmp_path, tag * 100)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=publish_many, args=(t,)) for t in (b"a", b"b", b"c")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    current = (tmp_path / "things" / "CURRENT").read_text().strip()
    assert persistence.read_manifest(tmp_path / "things" / current).count >= 0
    assert not list((tmp_path / "things").glob("CURRENT.*.tmp"))
