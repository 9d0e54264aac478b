from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np
import pytest

from retrieval.vectors import VectorIndex, ivf_nlist


def unit(rows: int, dim: int = 16, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    v = rng.normal(size=(rows, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_add_search_remove_reconstruct() -> None:
    vecs = unit(20)
    index = VectorIndex(16)
    ids = np.arange(100, 120)
    index.add(ids, vecs)
    assert len(index) == 20 and index.kind == "flat"
    top = index.search(vecs[3], 3)
    assert top[0][0] == 103 and top[0][1] == pytest.approx(1.0, abs=1e-5)
    assert np.allclose(index.reconstruct(107), vecs[7])
    assert index.remove([103, 999]) == 1
    assert 103 not in index and 104 in index
    assert all(i != 103 for i, _ in index.search(vecs[3], 20))
    with pytest.raises(KeyError):
        index.reconstruct(103)
    assert np.allclose(index.reconstruct_many([110, 104]), vecs[[10, 4]])
    with pytest.raises(KeyError, match="103"):
        index.reconstruct_many([104, 103])  # a removed id, in a batch: named
    with pytest.raises(ValueError, match="duplicate"):
        index.add([104], vecs[:1])


def test_empty_index_search() -> None:
    assert VectorIndex(8).search(np.ones(8, np.float32), 5) == []


def test_save_load_roundtrip(tmp_path: Path) -> None:
    vecs = unit(10)
    index = VectorIndex(16)
    index.add(range(10), vecs)
    path = tmp_path / "d.faiss"
    index.save(path)
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    again = VectorIndex.load(path)
    assert len(again) == 10
    assert again.search(vecs[5], 1)[0][0] == 5


def test_flat_to_hnsw_switch_is_transparent(tmp_path: Path) -> None:
    vecs = unit(300, seed=1)
    flat = VectorIndex(16, ann_threshold=10**9)
    ann = VectorIndex(16, ann_threshold=100)
    flat.add(range(150), vecs[:150])
    ann.add(range(150), vecs[:150])
    assert ann.kind == "hnsw" and flat.kind == "flat"
    ann.add(range(150, 300), vecs[150:])
    flat.add(range(150, 300), vecs[150:])
    for q in (0, 42, 299):
        assert ann.search(vecs[q], 1)[0][0] == q
    overlap = np.mean([len({i for i, _ in ann.search(vecs[q], 10)} & {i for i, _ in flat.search(vecs[q], 10)})
                       for q in range(0, 300, 15)])
    assert overlap >= 9  # HNSW recall@10 against exact search
    # removal on HNSW = rebuild from the flat store
    ann.remove([42])
    assert all(i != 42 for i, _ in ann.search(vecs[42], 10)) and len(ann) == 299
    path = tmp_path / "hnsw.faiss"
    ann.save(path)
    loaded = VectorIndex.load(path, ann_threshold=100)
    assert loaded.kind == "hnsw" and len(loaded) == 299
    assert np.allclose(loaded.reconstruct(7), vecs[7])
    assert loaded.search(vecs[7], 1)[0][0] == 7
    loaded.remove(range(250))  # falls back below the threshold: exact again
    assert loaded.kind == "flat" and loaded.search(vecs[260], 1)[0][0] == 260


def test_copy_is_independent() -> None:
    index = VectorIndex(16)
    index.add([1, 2], unit(2))
    other = index.copy()
    other.remove([1])
    assert len(index) == 2 and len(other) == 1


def test_ivf_nlist_is_small_for_small_n() -> None:
    assert ivf_nlist(1) == 1 and ivf_nlist(2000) == 32 and ivf_nlist(1_000_000) == 4096
    assert ivf_nlist(10**8) == 4096
    assert all(ivf_nlist(n) * 39 <= n for n in (39, 100, 2000, 5000, 100_000))


def test_flat_to_hnsw_to_ivf_switch_is_transparent() -> None:
    vecs = unit(3000, seed=2)
    flat = VectorIndex(16, ann_threshold=10**9)
    index = VectorIndex(16, ann_threshold=200, ivf_threshold=2000)
    flat.add(range(3000), vecs)
    index.add(range(100), vecs[:100])
    assert index.kind == "flat" and index.search(vecs[5], 1)[0][0] == 5
    index.add(range(100, 500), vecs[100:500])
    assert index.kind == "hnsw" and index.search(vecs[300], 1)[0][0] == 300
    index.add(range(500, 3000), vecs[500:])
    assert index.kind == "ivf" and len(index) == 3000
    for q in range(0, 3000, 151):  # every vector finds itself first, like exact search
        top = index.search(vecs[q], 1)[0]
        assert top[0] == q == flat.search(vecs[q], 1)[0][0] and top[1] == pytest.approx(1.0, abs=1e-5)
    ivf = index._ann
    assert isinstance(ivf, faiss.IndexIVFFlat) and ivf.nlist == ivf_nlist(3000) and ivf.ntotal == 3000
    overlap = np.mean([len({i for i, _ in index.search(vecs[q], 10)} & {i for i, _ in flat.search(vecs[q], 10)})
                       for q in range(0, 3000, 150)])
    assert overlap >= 7  # automatic nprobe (8 of 64 lists) on random, unclustered 16-d vectors: 7.95
    index.add(range(3000, 3010), unit(10, seed=3))  # small additions go into the trained IVF
    assert index._ann is ivf and ivf.ntotal == 3010


def test_ivf_removal_applies_in_place_and_retrains_on_growth() -> None:
    vecs = unit(1200, seed=4)
    index = VectorIndex(16, ann_threshold=50, ivf_threshold=500, ivf_nprobe=4)
    index.add(range(550), vecs[:550])
    assert index.kind == "ivf" and index.search(vecs[7], 1)[0][0] == 7
    ivf = index._ann
    assert index.remove([7, 8, 12345]) == 2
    assert index._ann is ivf and ivf.ntotal == 548 == len(index)  # removed from the IVF, not rebuilt
    assert all(i not in (7, 8) for i, _ in index.search(vecs[7], 50)) and index._ann is ivf
    index.remove(range(500, 550))  # below ivf_threshold: HNSW again on the next search
    assert index.kind == "hnsw" and index.search(vecs[300], 1)[0][0] == 300 and index._ann_kind == "hnsw"
    index.add(range(500, 600), vecs[500:600])
    assert index.kind == "ivf" and index.search(vecs[550], 1)[0][0] == 550 and index._ann_kind == "ivf"
    trained = index._ann
    index.add(range(600, 1196), vecs[600:1196])  # still under 2x the training size (598)
    assert index._ann is trained and index.search(vecs[1000], 1)[0][0] == 1000
    index.add(range(1196, 1200), vecs[1196:])  # 2x: retrained on the next search
    assert index._ann is None
    assert index.search(vecs[1198], 1)[0][0] == 1198 and index._ann is not trained
    assert index._ann.nlist == ivf_nlist(len(index)) and index._ann.ntotal == len(index) == 1198


def test_ivf_save_load_roundtrip_and_copy(tmp_path: Path) -> None:
    vecs = unit(2500, seed=5)
    index = VectorIndex(16, ann_threshold=100, ivf_threshold=2000)
    index.add(np.arange(2500) * 3 + 1, vecs)  # ids unlike store positions
    index.remove([4, 7])
    path = tmp_path / "ivf.faiss"
    index.save(path)
    assert isinstance(faiss.read_index(str(path)), faiss.IndexIVFFlat)
    loaded = VectorIndex.load(path, ann_threshold=100, ivf_threshold=2000)
    assert loaded.kind == "ivf" and len(loaded) == 2498 and loaded._ann_kind == "ivf"
    assert set(loaded.ids().tolist()) == set(index.ids().tolist())
    assert 4 not in loaded and np.allclose(loaded.reconstruct(3 * 100 + 1), vecs[100])
    assert loaded.search(vecs[100], 1)[0][0] == 301
    assert loaded.search(vecs[100], 5) == index.search(vecs[100], 5)
    other = loaded.copy()
    other.remove([301])
    assert 301 in loaded and loaded.search(vecs[100], 1)[0][0] == 301
    assert other.kind == "ivf" and all(i != 301 for i, _ in other.search(vecs[100], 20))
    other.add([10**9], vecs[100:101])
    assert other.search(vecs[100], 1)[0][0] == 10**9 and 10**9 not in loaded
    flat_again = VectorIndex.load(path)  # default thresholds: exact search over the same vectors
    assert flat_again.kind == "flat" and flat_again.search(vecs[100], 1)[0][0] == 301


def test_one_query_scans_on_the_calling_thread_and_the_setting_is_restored(monkeypatch: pytest.MonkeyPatch) -> None:
    index = VectorIndex(16)
    index.add(np.arange(50), unit(50))
    seen: list[int] = []
    store = type(index._store)  # noqa: SLF001
    real = store.search
    monkeypatch.setattr(store, "search", lambda self, *a, **kw: (seen.append(faiss.omp_get_max_threads()), real(self, *a, **kw))[1])
    faiss.omp_set_num_threads(2)
    assert index.search(unit(1, seed=3)[0], 5)
    assert seen == [1] and faiss.omp_get_max_threads() == 2
