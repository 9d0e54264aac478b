from __future__ import annotations

from pathlib import Path

import pytest

from retrieval.sparse import SparseIndex

TEXTS = [
    "How to reset your password on the website",
    "Shipping times for international orders",
    "Password rules: at least twelve characters",
    "Refunds are paid within five working days",
]


def built() -> SparseIndex:
    index = SparseIndex()
    index.rebuild([10, 20, 30, 40], TEXTS)
    return index


def test_search_ranks_matching_chunks() -> None:
    hits = built().search("reset password", 5)
    assert [i for i, _ in hits] == [10, 30]
    assert hits[0][1] > hits[1][1] > 0


def test_unknown_or_stopword_queries_and_empty_index() -> None:
    index = built()
    assert index.search("xylophone zebra", 5) == []
    assert index.search("the and of", 5) == []
    assert index.search("", 5) == []
    empty = SparseIndex()
    empty.rebuild([], [])
    assert empty.search("password", 5) == [] and len(empty) == 0


def test_tokenizer_is_simple() -> None:
    assert SparseIndex(stemmer=None).tokenize("The Passwords, e-mail & 2FA; a 5 x") == ["passwords", "mail", "2fa", "5"]


def test_stemming_matches_word_forms_and_survives_save(tmp_path) -> None:
    index = SparseIndex()
    assert index.tokenize("Refunds refunded, refunding") == ["refund"] * 3
    index.rebuild([1, 2], ["How refunds are refunded", "Shipping times"])
    assert [i for i, _ in index.search("refunding", 5)] == [1]
    index.save(tmp_path / "s")
    assert SparseIndex.load(tmp_path / "s").search("refunding", 5)[0][0] == 1
    plain = SparseIndex(stemmer=None)
    plain.rebuild([1, 2], ["How refunds are refunded", "Shipping times"])
    assert plain.search("refunding", 5) == []
    plain.save(tmp_path / "p")
    assert SparseIndex.load(tmp_path / "p").stemmer is None  # an unstemmed index stays unstemmed


def test_scores_for_and_max_score() -> None:
    index = built()
    scores = index.scores_for("password refunds", [10, 40, 20, 999])
    assert scores[20] == 0.0 and scores[999] == 0.0 and scores[10] > 0 and scores[40] > 0
    top = index.search("password refunds", 1)[0][1]
    assert index.max_score("password refunds") >= top


def test_save_load_roundtrip(tmp_path: Path) -> None:
    index = built()
    index.save(tmp_path / "sparse-1")
    again = SparseIndex.load(tmp_path / "sparse-1")
    assert again.search("shipping", 3) == index.search("shipping", 3)
    assert [p.name for p in tmp_path.iterdir()] == ["sparse-1"]  # no temp folder left
    index.rebuild([1], ["only shipping"])
    index.save(tmp_path / "sparse-1")  # replacing an existing generation folder
    assert SparseIndex.load(tmp_path / "sparse-1").ids == [1]
    with pytest.raises(FileNotFoundError):
        SparseIndex.load(tmp_path / "missing")


def test_empty_save_load(tmp_path: Path) -> None:
    empty = SparseIndex()
    empty.rebuild([], [])
    empty.save(tmp_path / "s")
    assert SparseIndex.load(tmp_path / "s").search("x", 3) == []
