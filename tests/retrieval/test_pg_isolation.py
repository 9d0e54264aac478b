"""Per-scope isolation in SQL: a scope cannot read, score, change or remove another scope's rows."""
from __future__ import annotations

import pytest

from retrieval.embedder import Embedder
from retrieval.pg.dense import PgDense, chunk_vectors, sentence_vectors
from retrieval.pg.knowledge_base import PgKnowledgeBase
from tests.retrieval.pg_docs import DOCS, QUESTIONS


def test_a_scope_never_sees_another_scopes_rows(pg_url: str, embedder: Embedder) -> None:
    a = PgKnowledgeBase(pg_url, "guild:1", embedder)
    b = PgKnowledgeBase(pg_url, "guild:2", embedder)
    a.ingest_texts(DOCS[:3])
    b.ingest_texts(DOCS[3:])
    a_sources = {d.source for d in a.list_documents()}
    b_sources = {d.source for d in b.list_documents()}
    assert a_sources == {s for _, _, s in DOCS[:3]} and b_sources == {s for _, _, s in DOCS[3:]}
    for question in QUESTIONS:  # the refund question asked in B finds only B's documents
        assert {h.source for h in b.search(question, 10)} <= b_sources
        assert {h.source for h in a.search(question, 10)} <= a_sources

    a_doc = a.list_documents()[0]
    a_ids = a.catalog.document_chunk_ids(a_doc.id)
    assert a_ids
    assert b.get_document(a_doc.id) is None and b.get_document(a_doc.source) is None
    assert b.get_chunks(a_ids) == []
    assert b.catalog.chunk_rows(a_ids) == {} and b.catalog.document_chunk_ids(a_doc.id) == []
    assert b.remove(a_doc.id) is None and b.remove(a_doc.source) is None
    with b.connections.snapshot() as conn:
        assert chunk_vectors(conn, "guild:2", a_ids) == {}
        assert sentence_vectors(conn, "guild:2", a_ids) == {}
        dense = PgDense(conn, "guild:2", 384, frozenset(), 1, a._ann)
        assert dense.sentences.scores(embedder.encode_query("refund"), a_ids, {}) == {}
        with pytest.raises(KeyError):
            dense.reconstruct_many(a_ids)
    assert a.get_document(a_doc.id) == a_doc  # B's attempts changed nothing
    assert a.stats()["chunks"] == sum(d.chunk_count for d in a.list_documents())


def test_a_scope_with_the_same_documents_keeps_its_own_ids_and_generation(pg_url: str, embedder: Embedder) -> None:
    a = PgKnowledgeBase(pg_url, "guild:1", embedder)
    b = PgKnowledgeBase(pg_url, "dm:5", embedder)
    a.ingest_texts(DOCS[:2])
    b.ingest_texts(DOCS[:2])  # identical chunks in another scope: embedded again, never shared
    a.ingest_texts(DOCS[2:3])
    assert (a.stats()["generation"], b.stats()["generation"]) == (2, 1)
    a_ids = {h.chunk_id for h in a.search("refund", 10)}
    b_ids = {h.chunk_id for h in b.search("refund", 10)}
    assert a_ids and b_ids and not a_ids & b_ids
