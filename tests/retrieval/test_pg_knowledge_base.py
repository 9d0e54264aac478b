"""The PostgreSQL knowledge base against the SQLite + FAISS one on the same documents, and the
generation that keeps each process's in-memory BM25 in step (real server, real MiniLM)."""
from __future__ import annotations

from pathlib import Path

import pytest

from retrieval.config import RetrievalConfig
from retrieval.embedder import Embedder
from retrieval.knowledge_base import KnowledgeBase
from retrieval.knowledge_bases import KnowledgeBases
from retrieval.pg.knowledge_base import PgKnowledgeBase
from retrieval.types import Hit
from tests.retrieval.pg_docs import DOCS, QUESTIONS


def _top(hits: list[Hit]) -> list[tuple[str, float]]:
    return [(h.source, round(h.fused, 4)) for h in hits]


@pytest.fixture()
def both(tmp_path: Path, pg_url: str, embedder: Embedder) -> tuple[KnowledgeBase, PgKnowledgeBase]:
    lite = KnowledgeBase(tmp_path / "data", "guild:1", embedder)
    pg = PgKnowledgeBase(pg_url, "guild:1", embedder)
    for kb in (lite, pg):
        report = kb.ingest_texts(DOCS)
        assert (report.added, report.errors) == (len(DOCS), [])
    return lite, pg


def test_search_matches_sqlite_faiss(both: tuple[KnowledgeBase, PgKnowledgeBase]) -> None:
    lite, pg = both
    for question in QUESTIONS:
        assert _top(pg.search(question, 4)) == _top(lite.search(question, 4)), question
    lite_stats, pg_stats = lite.stats(), pg.stats()
    for key in ("documents", "chunks", "vectors", "sentence_vectors", "generation", "dim"):
        assert pg_stats[key] == lite_stats[key], key
    assert pg_stats["index_type"] == "pgvector-exact"


def test_reingest_remove_and_reindex_match(both: tuple[KnowledgeBase, PgKnowledgeBase], embedder: Embedder) -> None:
    lite, pg = both
    again = pg.ingest_texts(DOCS)
    assert (again.unchanged, again.chunks_embedded) == (len(DOCS), 0)
    changed = [DOCS[0][0], DOCS[0][1] + " Gift cards are never refunded.", DOCS[0][2]]
    for kb in (lite, pg):
        report = kb.ingest_texts([tuple(changed)])  # type: ignore[list-item]
        assert report.updated == 1
    assert lite.remove("passwords.md") is not None
    removed = pg.remove("passwords.md")
    assert removed is not None and removed.source == "passwords.md"
    assert pg.remove("passwords.md") is None
    assert sorted(d.source for d in pg.list_documents()) == sorted(d.source for d in lite.list_documents())
    for question in QUESTIONS:
        assert _top(pg.search(question, 4)) == _top(lite.search(question, 4)), question
    assert pg.reindex() == lite.reindex() == pg.stats()["chunks"]
    for question in QUESTIONS:
        assert _top(pg.search(question, 3)) == _top(lite.search(question, 3)), question


def test_unchanged_chunks_reuse_their_vectors(pg_url: str, embedder: Embedder) -> None:
    kb = PgKnowledgeBase(pg_url, "global", embedder)
    kb.ingest_texts(DOCS[:2])
    copy = [("Refunds again", DOCS[0][1], "copy-of-refunds.md")]
    report = kb.ingest_texts(copy)  # same passage text except the title line: embedded anew
    assert report.added == 1
    same = kb.ingest_texts([(DOCS[1][0], DOCS[1][1], "mirror/shipping.md")])
    assert (same.added, same.chunks_embedded) == (1, 0)  # identical passage: the stored vectors reused


def test_a_second_object_rebuilds_bm25_when_the_generation_moves(pg_url: str, embedder: Embedder) -> None:
    writer = PgKnowledgeBase(pg_url, "guild:7", embedder)  # two objects: two processes' views
    reader = PgKnowledgeBase(pg_url, "guild:7", embedder)
    writer.ingest_texts(DOCS[:2])
    assert [h.source for h in reader.search("refund card", 1)] == ["refunds.md"]
    held = reader._held
    assert held is not None and held.generation == 1
    writer.ingest_texts([DOCS[3]])
    hits = reader.search("download invoice PDF billing page", 1)
    assert [h.source for h in hits] == ["invoices.md"]
    assert hits[0].sparse is not None and hits[0].sparse > 0  # found by a BM25 index that knows the new rows
    assert reader._held is not None and reader._held.generation == 2
    assert len(reader._held.sparse) == writer.stats()["chunks"]


def test_large_scope_searches_through_its_own_hnsw_index(pg_url: str, embedder: Embedder) -> None:
    config = RetrievalConfig(ann_threshold=4)
    kb = PgKnowledgeBase(pg_url, "guild:9", embedder, config)
    exact = PgKnowledgeBase(pg_url, "guild:10", embedder)
    for each in (kb, exact):
        each.ingest_texts(DOCS)
    assert kb.stats()["index_type"] == "pgvector-hnsw"
    with kb.connections.connection() as conn, conn.transaction():
        conn.execute("SET LOCAL enable_sort = off")  # as ann.nearest does
        names = [r[0] for r in conn.execute(
            "SELECT indexname FROM pg_indexes WHERE indexdef LIKE '%hnsw%' ORDER BY indexname").fetchall()]
        plan = "\n".join(r[0] for r in conn.execute(
            "EXPLAIN SELECT id FROM kb_chunks WHERE scope = 'guild:9' AND dim = 384"
            " ORDER BY (embedding::vector(384)) <#> (SELECT embedding FROM kb_chunks LIMIT 1) LIMIT 5"))
    assert len(names) == 2  # chunks and sentences of guild:9 only; guild:10 stays exact
    assert any(name in plan for name in names), plan
    for question in QUESTIONS:  # a few vectors: HNSW finds exactly the exact neighbours
        assert [h.source for h in kb.search(question, 3)] == [h.source for h in exact.search(question, 3)]


def test_knowledge_bases_choose_postgres_for_a_postgresql_url(tmp_path: Path, pg_url: str,
                                                               embedder: Embedder) -> None:
    kbs = KnowledgeBases(tmp_path / "data", embedder, database_url=pg_url)
    kb = kbs.get("guild:3")
    assert isinstance(kb, PgKnowledgeBase)
    kb.ingest_texts(DOCS[:1])
    assert kbs.scopes() == ["guild:3"]
    assert not (tmp_path / "data" / "ragcord.db").exists()
    assert isinstance(KnowledgeBases(tmp_path / "data", embedder).get("guild:3"), KnowledgeBase)
