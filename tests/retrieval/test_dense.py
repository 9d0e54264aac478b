from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from retrieval.dense import DenseIndex


def unit(rows: int, dim: int = 16, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    v = rng.normal(size=(rows, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_add_search_remove_reconstruct() -> None:
    vecs = unit(20)
    index = DenseIndex(16)
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
    with pytest.raises(ValueError, match="duplicate"):
        index.add([104], vecs[:1])


def test_empty_index_search() -> None:
    assert DenseIndex(8).search(np.ones(8, np.float32), 5) == []


def test_save_load_roundtrip(tmp_path: Path) -> None:
    vecs = unit(10)
    index = DenseIndex(16)
    index.add(range(10), vecs)
    path = tmp_path / "d.faiss"
    index.save(path)
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    again = DenseIndex.load(path)
    assert len(again) == 10
    assert again.search(vecs[5], 1)[0][0] == 5


def test_flat_to_hnsw_switch_is_transparent(tmp_path: Path) -> None:
    vecs = unit(300, seed=1)
    flat = DenseIndex(16, ann_threshold=10**9)
    ann = DenseIndex(16, ann_threshold=100)
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
    loaded = DenseIndex.load(path, ann_threshold=100)
    assert loaded.kind == "hnsw" and len(loaded) == 299
    assert np.allclose(loaded.reconstruct(7), vecs[7])
    assert loaded.search(vecs[7], 1)[0][0] == 7
    loaded.remove(range(250))  # falls back below the threshold: exact again
    assert loaded.kind == "flat" and loaded.search(vecs[260], 1)[0][0] == 260


def test_copy_is_independent() -> None:
    index = DenseIndex(16)
    index.add([1, 2], unit(2))
    other = index.copy()
    other.remove([1])
    assert len(index) == 2 and len(other) == 1
