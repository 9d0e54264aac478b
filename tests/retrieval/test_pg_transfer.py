"""import_data_dir: every scope of a SQLite + FAISS data dir copied into PostgreSQL, vectors
copied bit for bit (it has no embedder to make them with), ids kept, search unchanged."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from retrieval.config import RetrievalConfig
from retrieval.dense import DenseIndex
from retrieval.embedder import Embedder
from retrieval.knowledge_base import KnowledgeBase
from retrieval.layout import index_dir
from retrieval.pg.dense import chunk_vectors, sentence_vectors
from retrieval.pg.knowledge_base import PgKnowledgeBase
from retrieval.pg.transfer import ScopeCounts, import_data_dir
from retrieval.sync_state import SyncPage, SyncStore
from tests.retrieval.pg_docs import DOCS, QUESTIONS


def test_import_copies_every_scope_with_its_vectors(tmp_path: Path, pg_url: str, embedder: Embedder) -> None:
    data = tmp_path / "data"
    guild = KnowledgeBase(data, "guild:1", embedder)
    guild.ingest_texts(DOCS[:4])
    guild.remove("shipping.md")  # a gap in the ids
    dm = KnowledgeBase(data, "dm:2", embedder)
    dm.ingest_texts(DOCS[4:])
    sync = SyncStore(data / "ragcord.db", "guild:1")
    sync.add_source("https://example.org/sitemap.xml", "sitemap", 86400, now=100.0)
    sync.save_page(SyncPage(url="https://example.org/a", origin="https://example.org/sitemap.xml",
                            etag='"v1"', body_sha256="ab" * 32, last_synced_at=100.0))

    counts = import_data_dir(data, pg_url)

    stats = {scope: kb.stats() for scope, kb in (("guild:1", guild), ("dm:2", dm))}
    assert counts.scopes == {
        scope: ScopeCounts(documents=int(s["documents"]), chunks=int(s["chunks"]), vectors=int(s["vectors"]),
                           sentence_vectors=int(s["sentence_vectors"]), sync_sources=int(scope == "guild:1"),
                           sync_pages=int(scope == "guild:1"))
        for scope, s in stats.items()}
    assert counts.documents == len(DOCS) - 1 and counts.chunks == sum(int(s["chunks"]) for s in stats.values())
    assert counts.sentence_vectors > 0

    for scope, lite in (("guild:1", guild), ("dm:2", dm)):
        pg = PgKnowledgeBase(pg_url, scope, embedder)
        assert pg.list_documents() == lite.list_documents()  # ids, hashes and times kept
        faiss = DenseIndex.load(index_dir(data, scope) / lite.catalog.index_state().dense_file)  # type: ignore[operator]
        ids = [int(i) for i in faiss.ids()]
        with pg.connections.snapshot() as conn:
            copied, units = chunk_vectors(conn, scope, ids), sentence_vectors(conn, scope, ids)
        for cid in ids:
            assert np.array_equal(copied[cid], faiss.reconstruct(cid))
            assert np.array_equal(units.get(cid, np.zeros((0, 384), np.float32)), faiss.sentences.vectors(cid))
        for question in QUESTIONS:
            assert [(h.chunk_id, round(h.fused, 4)) for h in pg.search(question, 3)] == \
                   [(h.chunk_id, round(h.fused, 4)) for h in lite.search(question, 3)]

    again = import_data_dir(data, pg_url)  # a rerun replaces, never duplicates
    assert again == counts
    new = PgKnowledgeBase(pg_url, "guild:1", embedder, RetrievalConfig())
    report = new.ingest_texts([DOCS[1]])  # ids continue after the copied ones
    assert report.added == 1
    assert min(d.id for d in new.list_documents() if d.source == "shipping.md") > max(
        d.id for d in dm.list_documents())
