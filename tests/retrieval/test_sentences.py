from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np
import pytest

from retrieval.dense import DenseIndex
from retrieval.sentences import SHIFT

from .test_knowledge_base import chunk_ids, make_folder


def unit(*xs: float) -> np.ndarray:
    v = np.asarray(xs, dtype=np.float32)
    return v / np.linalg.norm(v)


def filled() -> DenseIndex:
    dense = DenseIndex(3)
    dense.add([1, 2, 3], np.stack([unit(1, 0, 0), unit(0, 1, 0), unit(0, 0, 1)]))
    dense.sentences.add([1, 2, 3], [np.stack([unit(1, 1, 0), unit(0, 1, 1)]), np.zeros((0, 3)),
                                     np.stack([unit(1, 0, 1)] * 3)])
    return dense


def test_store_ids_counts_search_and_scores() -> None:
    dense = filled()
    store = dense.sentences
    assert len(store) == 5 and store.counts() == {1: 2, 3: 3}
    assert sorted(store.index.ids().tolist()) == [1 << SHIFT, (1 << SHIFT) + 1, 3 << SHIFT, (3 << SHIFT) + 1,
                                                  (3 << SHIFT) + 2]
    query = unit(0, 1, 1)
    assert store.search(query, 1) == [(1, pytest.approx(1.0))]  # chunk 1's second sentence
    assert [c for c, _ in store.search(query, 5)] == [1, 3]  # one entry per chunk
    scores = store.scores(query, [1, 2, 3, 9], chunk_cosine={2: 0.7})
    assert scores == {1: pytest.approx(1.0), 2: 0.7, 3: pytest.approx(0.5)}  # 9: unknown, left out
    assert store.vectors(1).shape == (2, 3) and store.vectors(2).shape[0] == 0


def test_removing_chunks_removes_their_sentences_and_copies_are_independent() -> None:
    dense = filled()
    before = dense.copy()
    dense.remove([1])
    assert dense.sentences.counts() == {3: 3}
    assert before.sentences.counts() == {1: 2, 3: 3}
    assert [c for c, _ in dense.sentences.search(unit(0, 1, 1), 5)] == [3]
    with pytest.raises(ValueError):
        dense.sentences.add([4], [np.zeros((1 << SHIFT, 3))])


def test_save_and_load_keep_sentences(tmp_path: Path) -> None:
    dense = filled()
    dense.save(tmp_path / "d.faiss")
    loaded = DenseIndex.load(tmp_path / "d.faiss")
    assert sorted(loaded.ids().tolist()) == [1, 2, 3]
    assert loaded.sentences.counts() == {1: 2, 3: 3}
    assert np.allclose(loaded.sentences.vectors(3), dense.sentences.vectors(3))
    # a file written before sentence vectors (a plain FAISS index) still loads, without them
    faiss.write_index(faiss.IndexIDMap2(faiss.IndexFlatIP(3)), str(tmp_path / "old.faiss"))
    old = DenseIndex.load(tmp_path / "old.faiss")
    assert len(old) == 0 and len(old.sentences) == 0
    # a truncated pair file is an error the knowledge base turns into a rebuild
    blob = (tmp_path / "d.faiss").read_bytes()
    (tmp_path / "cut.faiss").write_bytes(blob[:40])
    with pytest.raises((ValueError, RuntimeError)):
        DenseIndex.load(tmp_path / "cut.faiss")


def test_sentence_vectors_follow_ingest_update_remove_and_rebuild(tmp_path: Path, make_kb) -> None:
    folder = make_folder(tmp_path / "docs", {
        "a.md": "# Care\n\nWash the jacket at thirty degrees. Never tumble dry it. Hang it to dry in the shade.",
        "b.md": "# Delivery\n\nParcels leave the warehouse every weekday. Tracking numbers arrive by email soon.",
    })
    kb = make_kb()
    kb.ingest(folder)

    def sentence_chunks() -> set[int]:
        return set(kb._current()[0].sentences.counts())

    assert sentence_chunks() == chunk_ids(kb) and len(sentence_chunks()) == 2
    assert "tumble" in kb.search("can I put it in the dryer", k=1)[0].text
    (folder / "a.md").write_text("# Care\n\nWash the jacket at forty degrees. Never tumble dry it. "
                                 "Hang it to dry in the shade.")
    kb.ingest(folder)
    assert sentence_chunks() == chunk_ids(kb)
    kb.remove(str(folder / "b.md"))
    assert sentence_chunks() == chunk_ids(kb) and len(chunk_ids(kb)) == 1
    (kb.index_dir / "dense-3.faiss").unlink()  # lost files: rebuilt from the catalogue, sentences too
    rebuilt = make_kb()
    assert set(rebuilt._current()[0].sentences.counts()) == chunk_ids(rebuilt)
    assert rebuilt.reindex() == 1 and set(rebuilt._current()[0].sentences.counts()) == chunk_ids(rebuilt)
