"""Writers of one scope queue on its PostgreSQL advisory lock; each change is one generation."""
from __future__ import annotations

import threading
import time

import psycopg

from retrieval.embedder import Embedder
from retrieval.pg.knowledge_base import PgKnowledgeBase
from retrieval.pg.schema import scope_lock_key
from retrieval.types import IngestReport
from tests.retrieval.pg_docs import DOCS


def _waiting_for_advisory_lock(conn: psycopg.Connection) -> bool:
    row = conn.execute("SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted").fetchone()
    return bool(row and row[0])


def test_a_writer_waits_for_the_scope_lock_and_both_changes_land(pg_url: str, embedder: Embedder) -> None:
    first = PgKnowledgeBase(pg_url, "guild:4", embedder)
    second = PgKnowledgeBase(pg_url, "guild:4", embedder)  # another "process" on the same scope
    first.ingest_texts(DOCS[:1])
    reports: list[IngestReport] = []
    with psycopg.connect(pg_url, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (scope_lock_key("guild:4"),))  # a writer mid-change
        thread = threading.Thread(target=lambda: reports.append(second.ingest_texts(DOCS[1:3])))
        thread.start()
        deadline = time.monotonic() + 60
        # each look at the server's lock table is one round trip: it paces the loop, no timer does
        while not _waiting_for_advisory_lock(holder):
            assert time.monotonic() < deadline, "the second writer never asked for the scope lock"
        assert reports == [] and first.stats()["documents"] == 1
        holder.execute("SELECT pg_advisory_unlock(%s)", (scope_lock_key("guild:4"),))
        thread.join(timeout=120)
    assert not thread.is_alive()
    assert reports[0].added == 2
    assert first.stats()["documents"] == 3 and first.stats()["generation"] == 2


def test_concurrent_writers_of_one_scope_serialise(pg_url: str, embedder: Embedder) -> None:
    kbs = [PgKnowledgeBase(pg_url, "global", embedder) for _ in range(3)]
    errors: list[BaseException] = []

    def write(kb: PgKnowledgeBase, docs: list[tuple[str, str, str]]) -> None:
        try:
            kb.ingest_texts(docs)
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(kb, DOCS[i::3])) for i, kb in enumerate(kbs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert errors == []
    stats = kbs[0].stats()
    assert (stats["documents"], stats["generation"]) == (len(DOCS), 3)
    assert stats["chunks"] == sum(d.chunk_count for d in kbs[1].list_documents())
