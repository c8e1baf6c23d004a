"""VectorCollection: exactness, filters, live updates under concurrent reads, compaction,
and memory-mapped persistence, for every index kind."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from matcher.config import Settings
from matcher.index.collection import CollectionSchema, VectorCollection
from matcher.index.filters import FilterField, Where

DIM = 32
SCHEMA = CollectionSchema(
    "things",
    (
        FilterField("country", "country", "single"),
        FilterField("hs", "hs", "hs"),
        FilterField("certifications", "certs", "multi"),
    ),
    numeric=("moq",),
)
KINDS = ["flat", "hnsw", "ivf_flat", "ivf_sq8", "ivf_pq_refine"]


def _settings(tmp_path: Path, kind: str = "auto", **kw: object) -> Settings:
    return Settings(data_dir=tmp_path, index_kind=kind, _env_file=None, **kw)  # type: ignore[call-arg, arg-type]


def _data(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(20, DIM))
    x = centers[rng.integers(0, 20, n)] + 0.3 * rng.normal(size=(n, DIM))
    x = (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)
    ids = (np.arange(n) * 3 + 1000).astype(np.int64)
    countries = np.array(["VN", "IN", "US", "ID"])[rng.integers(0, 4, n)]
    hs = np.array(["848180", "730723", "190230", "330499", "8481"])[rng.integers(0, 5, n)]
    certs = [["CE"] if i % 3 == 0 else (["CE", "ISO9001"] if i % 3 == 1 else []) for i in range(n)]
    moq = np.where(rng.random(n) < 0.1, np.nan, rng.integers(1, 1000, n))
    meta = pd.DataFrame({"country": countries, "hs": hs, "certs": certs, "moq": moq})
    return ids, x, meta


def _brute(
    x: np.ndarray, ids: np.ndarray, q: np.ndarray, k: int, mask: np.ndarray | None = None
) -> np.ndarray:
    s = q @ x.T
    if mask is not None:
        s = np.where(mask, s, -np.inf)
    return ids[np.argsort(-s, axis=1, kind="stable")[:, :k]]


@pytest.mark.parametrize("kind", KINDS)
def test_recall_against_exact_search(tmp_path: Path, kind: str) -> None:
    ids, x, meta = _data(3000)
    col = VectorCollection(SCHEMA, DIM, _settings(tmp_path, kind)).build(ids, x, meta)
    q = x[:50] + 0.05
    q = (q / np.linalg.norm(q, axis=1, keepdims=True)).astype(np.float32)
    found = col.search(q, 10).ids
    exact = _brute(x, ids, q, 10)
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(found, exact, strict=True)])
    assert recall >= (1.0 if kind == "flat" else 0.9), recall
    assert col.state.spec.kind.value == kind


def test_auto_choice_is_exact_for_small_collections(tmp_path: Path) -> None:
    ids, x, meta = _data(500)
    col = VectorCollection(SCHEMA, DIM, _settings(tmp_path)).build(ids, x, meta)
    assert col.state.spec.kind.value == "flat"
    big = _settings(tmp_path, index_exact_below=100)
    kind = VectorCollection(SCHEMA, DIM, big).build(ids, x, meta).state.spec.kind.value
    assert kind == "ivf_pq_refine"
    small_mem = _settings(tmp_path, index_exact_below=100, index_compressed=True)
    kind = VectorCollection(SCHEMA, DIM, small_mem).build(ids, x, meta).state.spec.kind.value
    assert kind == "ivf_sq8"


@pytest.mark.parametrize("kind", ["hnsw", "ivf_flat"])
def test_selective_filters_are_exact_and_return_k(tmp_path: Path, kind: str) -> None:
    ids, x, meta = _data(5000)
    col = VectorCollection(SCHEMA, DIM, _settings(tmp_path, kind)).build(ids, x, meta)
    where = Where(
        {"country": ["vn"], "hs": ["84"], "certifications": ["ISO9001"]}, max_values={"moq": 200}
    )
    mask = (
        (meta["country"] == "VN")
        & meta["hs"].str.startswith("84")
        & meta["certs"].map(lambda c: "ISO9001" in c)
        & ~(meta["moq"] > 200)
    ).to_numpy()
    assert 0 < mask.sum() < 200
    result = col.search(x[:5], 50, where)
    expected = _brute(x, ids, x[:5], 50, mask)
    for row, exp in zip(result.ids, expected, strict=True):
        got = row[row >= 0]
        assert len(got) == min(50, int(mask.sum()))
        assert set(got) == set(exp[: len(got)])


def test_broad_filters_go_through_the_index(tmp_path: Path) -> None:
    ids, x, meta = _data(5000)
    settings = _settings(tmp_path, "ivf_flat", index_exact_filter_limit=100)
    col = VectorCollection(SCHEMA, DIM, settings).build(ids, x, meta)
    result = col.search(x[:5], 20, Where({"country": ["VN", "IN"]}))
    allowed = set(ids[meta["country"].isin(["VN", "IN"]).to_numpy()])
    assert (result.ids >= 0).all()
    assert set(result.ids.ravel()) <= allowed


def test_hs_prefix_interest_covers_subheadings(tmp_path: Path) -> None:
    ids, x, meta = _data(400)
    col = VectorCollection(SCHEMA, DIM, _settings(tmp_path)).build(ids, x, meta)
    found = set(col.search(x[:1], 400, Where({"hs": ["848180"]})).ids[0]) - {-1}
    expected = set(ids[meta["hs"].isin(["848180", "8481"]).to_numpy()])
    assert found == expected  # items interested in all of 8481 match a query for 848180
    with pytest.raises(KeyError, match="filterable"):
        col.search(x[:1], 5, Where({"colour": ["red"]}))


@pytest.mark.parametrize("kind", KINDS)
def test_upsert_delete_and_replace(tmp_path: Path, kind: str) -> None:
    ids, x, meta = _data(2000)
    col = VectorCollection(SCHEMA, DIM, _settings(tmp_path, kind)).build(ids, x, meta)
    target = x[7]
    assert col.search(target, 1).ids[0, 0] == ids[7]
    col.delete([ids[7]])
    assert ids[7] not in col.search(target, 20).ids
    # A new item, and an old one moved to where the deleted one was.
    col.upsert(
        [999_999, ids[8]],
        np.stack([target, target]),
        [{"country": "VN", "hs": "848180", "certs": ["CE"], "moq": 5.0}] * 2,
    )
    top = set(col.search(target, 2).ids[0])
    assert top == {999_999, ids[8]}
    assert len(col) == 2000  # one deleted, one added, one replaced
    filtered = col.search(target, 5, Where({"country": ["VN"], "hs": ["8481"]})).ids[0]
    assert {999_999, ids[8]} <= set(filtered)
    rows = col.rows([999_999, ids[9]])
    assert list(rows.index) == [999_999, ids[9]] and rows.loc[999_999, "country"] == "VN"
    # Stored vectors without a search: base and delta, the deleted one left out.
    found, vectors = col.vectors([ids[9], 999_999, ids[7], ids[8]])
    assert list(found) == [ids[9], 999_999, ids[8]]
    # (IVF-SQ8 keeps its base vectors quantised to 8 bits: what it searches with.)
    atol = 0.02 if kind == "ivf_sq8" else 1e-6
    assert np.allclose(vectors, np.stack([x[9], target, target]), atol=atol)


def test_concurrent_queries_never_fail_or_see_deleted_ids(tmp_path: Path) -> None:
    """Issue 4: upsert 1,000 and delete 1,000 while another thread queries."""
    ids, x, meta = _data(6000)
    col = VectorCollection(SCHEMA, DIM, _settings(tmp_path, "hnsw")).build(ids, x, meta)
    deleted: set[int] = set()
    confirmed_lock = threading.Lock()
    errors: list[BaseException] = []
    violations: list[int] = []
    stop = threading.Event()
    rng = np.random.default_rng(1)

    def reader() -> None:
        local = np.random.default_rng(2)
        while not stop.is_set():
            with confirmed_lock:
                gone = set(deleted)  # deletes that had returned before this query began
            try:
                q = x[local.integers(0, len(x), 4)]
                seen = set(col.search(q, 30).ids.ravel()) | set(
                    col.search(q, 30, Where({"country": ["VN"]})).ids.ravel()
                )
            except BaseException as exc:
                errors.append(exc)
                return
            violations.extend(seen & gone)

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for t in threads:
        t.start()
    try:
        new_ids = np.arange(10_000_000, 10_001_000, dtype=np.int64)
        for start in range(0, 1000, 50):
            chunk = new_ids[start : start + 50]
            vecs = x[rng.integers(0, len(x), 50)] + 0.01
            col.upsert(
                chunk,
                vecs / np.linalg.norm(vecs, axis=1, keepdims=True),
                [{"country": "VN", "hs": "190230", "certs": [], "moq": 1.0}] * 50,
            )
        victim_pos = rng.choice(len(ids), 1000, replace=False)
        victims = ids[victim_pos]
        for start in range(0, 1000, 10):
            batch = victims[start : start + 10]
            col.delete(batch)
            with confirmed_lock:
                deleted.update(int(i) for i in batch)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert errors == []
    assert violations == []
    assert len(col) == 6000 + 1000 - 1000
    # Everything upserted is findable; nothing deleted is.
    found = col.search(x[victim_pos[:20]], 50, batch=True).ids
    assert not set(found.ravel()) & set(victims.tolist())


def test_compaction_keeps_results_and_replays_concurrent_writes(tmp_path: Path) -> None:
    ids, x, meta = _data(3000)
    settings = _settings(tmp_path, "flat", index_compaction_ratio=0.05, index_auto_compact=False)
    col = VectorCollection(SCHEMA, DIM, settings).build(ids, x, meta)
    col.delete(ids[:200])
    assert col.needs_compaction()
    before = col.search(x[300:310], 10).ids
    original_fit = col._fit_state

    def slow_fit(*args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        col.delete([ids[300]])  # a write that lands while the new base is being built
        return original_fit(*args, **kwargs)  # type: ignore[arg-type]

    col._fit_state = slow_fit  # type: ignore[method-assign]
    col.compact()
    col._fit_state = original_fit  # type: ignore[method-assign]
    st = col.state
    assert len(st.delta_ids) == 0 and len(st.ids) == 2800
    assert list(st.tombstones) != []  # the replayed delete
    after = col.search(x[300:310], 10).ids
    assert ids[300] not in after
    np.testing.assert_array_equal(after[1:], before[1:])


@pytest.mark.parametrize("kind", KINDS)
def test_save_and_memory_mapped_load(tmp_path: Path, kind: str) -> None:
    ids, x, meta = _data(2500)
    settings = _settings(tmp_path, kind)
    col = VectorCollection(SCHEMA, DIM, settings).build(ids, x, meta)
    col.upsert([5], x[:1], [{"country": "US", "hs": "330499", "certs": [], "moq": 1.0}])
    manifest = col.save(tmp_path / "index", model="test-model", fingerprint="f1")
    assert manifest.count == 2501 and manifest.extra["spec"]["kind"] == kind
    loaded, version = VectorCollection.load(SCHEMA, tmp_path / "index", settings, mmap=True)
    assert version.manifest.version == manifest.version
    q = x[100:110]
    np.testing.assert_array_equal(loaded.search(q, 10).ids, col.search(q, 10).ids)
    # Updates on a memory-mapped base go to the delta, never into the mapped index.
    loaded.delete([ids[100]])
    loaded.upsert([77], x[100:101], [{"country": "VN", "hs": "848180", "certs": [], "moq": 1.0}])
    assert loaded.search(x[100], 1).ids[0, 0] == 77


def test_writes_past_the_ratio_compact_in_the_background(tmp_path: Path) -> None:
    import time

    ids, x, meta = _data(2000)
    settings = _settings(tmp_path, "hnsw", index_compaction_ratio=0.05)
    col = VectorCollection(SCHEMA, DIM, settings).build(ids, x, meta)
    before = col.state.version
    col.delete(ids[:150])  # 7.5% > 5%
    deadline = time.monotonic() + 60
    while col.state.version == before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert col.state.version != before
    assert len(col.state.tombstones) == 0 and len(col.state.ids) == 1850
    assert not set(col.search(x[:20], 30).ids.ravel()) & set(ids[:150].tolist())


def test_changes_since_an_older_version_and_the_base_linked_not_rewritten(
    tmp_path: Path,
) -> None:
    """A nightly upsert on a loaded collection publishes the base files as links with their
    checksums, and ``changes_since`` names each changed item with its live vector: moved
    where the vector moved or it was deleted or added, with the filter fields that changed;
    neither where only other metadata changed (it went from the base to the exact delta)."""
    ids, x, meta = _data(3000)
    settings = _settings(tmp_path, "ivf_pq_refine")
    row = {"country": "IN", "hs": "848180", "certs": ["CE"], "moq": 5.0}

    def _same(i: int) -> set[str]:
        """The fields item ``i`` already had as ``row`` gives them."""
        old = meta.iloc[i]
        same = {"country"} if old["country"] == row["country"] else set()
        same |= {"hs"} if old["hs"] == row["hs"] else set()
        same |= {"certifications"} if list(old["certs"]) == row["certs"] else set()
        return same | ({"moq"} if old["moq"] == row["moq"] else set())

    root = tmp_path / "index"
    VectorCollection(SCHEMA, DIM, settings).build(ids, x, meta).save(
        root, model="m", fingerprint="f0"
    )
    first, v1 = VectorCollection.load(SCHEMA, root, settings, mmap=False)
    moved = x[11] + 0.5 * x[12]
    moved = moved / np.linalg.norm(moved)
    same = {str(k): v for k, v in meta.iloc[13].items()} | {"note": "new price"}  # no field
    first.upsert([ids[10]], x[10:11], [row])  # filter fields changed
    first.upsert([ids[11]], moved[None, :], [{str(k): v for k, v in meta.iloc[11].items()}])
    first.upsert([ids[13]], x[13:14], [same])
    first.upsert([5], x[14:15], [row])  # new
    first.delete([ids[15]])
    v2 = first.save(root, model="m", fingerprint="f1")
    older, newer = root / "things" / v1.manifest.version, root / "things" / v2.version
    assert v2.files["index.faiss"] == v1.manifest.files["index.faiss"]
    assert (newer / "index.faiss").stat().st_ino == (older / "index.faiss").stat().st_ino
    assert v2.extra["delta"] == 4 and v2.extra["tombstones"] == 4

    second, _ = VectorCollection.load(SCHEMA, root, settings, mmap=True)
    changes = second.changes_since(older)
    assert changes is not None
    got = {
        int(i): (bool(p), bool(m), set(f))
        for i, p, m, f in zip(
            changes.ids, changes.present, changes.moved, changes.fields, strict=True
        )
    }
    assert got == {
        int(ids[10]): (True, False, {"country", "hs", "certifications", "moq"} - _same(10)),
        int(ids[11]): (True, True, set()),
        int(ids[13]): (True, False, set()),
        5: (True, True, set()),
        int(ids[15]): (False, True, set()),
    }
    where = {int(i): n for n, i in enumerate(changes.ids)}
    np.testing.assert_allclose(changes.vectors[where[int(ids[11])]], moved, atol=1e-6)
    np.testing.assert_allclose(changes.vectors[where[int(ids[13])]], x[13], atol=1e-6)
    # Nothing changed since the live version itself; a rebuilt base says nothing per item.
    unchanged = second.changes_since(newer)
    assert unchanged is not None and len(unchanged) == 0
    second.compact()
    assert second.changes_since(older) is None


@pytest.mark.parametrize("kind", KINDS)
def test_ties_at_the_kth_place_are_settled_by_id_whatever_the_index_history(
    tmp_path: Path, kind: str
) -> None:
    """Identical texts give identical vectors: 60 copies tie for a query's top 40. Which 40
    come back must not depend on the order the items were indexed in, or on unrelated
    writes since (delta, tombstones): the lowest ids, best first, every time."""
    ids, x, meta = _data(3000)
    copies = np.r_[5, np.arange(100, 3000, 48)[:59]]  # spread over the id range
    x[copies] = x[5]
    q = x[5:6]
    expected = np.sort(ids[copies])[:40]
    built = VectorCollection(SCHEMA, DIM, _settings(tmp_path / "a", kind)).build(ids, x, meta)
    assert list(built.search(q, 40).ids[0]) == list(expected)
    shuffled = np.random.default_rng(1).permutation(len(ids))
    other = VectorCollection(SCHEMA, DIM, _settings(tmp_path / "b", kind)).build(
        ids[shuffled], x[shuffled], meta.iloc[shuffled].reset_index(drop=True)
    )
    assert list(other.search(q, 40).ids[0]) == list(expected)
    # Unrelated writes: a deletion and new items far from the query.
    other.delete([ids[7]])
    far = -x[5:6].repeat(3, axis=0)
    other.upsert([990_001, 990_002, 990_003], far, [meta.iloc[0].to_dict()] * 3)
    assert list(other.search(q, 40).ids[0]) == list(expected)
    # Fewer than k results and no ties still come back as before: best first, -1 padded.
    assert built.search(q, 3000 + 10).ids[0, -1] == -1
