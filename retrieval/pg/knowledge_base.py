"""One knowledge base per scope in PostgreSQL + pgvector, with `KnowledgeBase`'s public surface.

Rows, chunk vectors and sentence vectors live in the kb_* tables (schema.py). A change runs
under the scope's advisory lock (one writer per scope across processes) and commits its rows
and the scope's next generation in ONE transaction. A search reads one REPEATABLE READ
snapshot; the BM25 index this object holds is rebuilt from that snapshot's chunk rows when
the snapshot's generation differs from the one it was built for, so it is never out of step.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg

from .. import hybrid
from ..config import RetrievalConfig
from ..embedder import Embedder, passage_text
from ..embedder_record import check_name, label_of
from ..embedders import EmbedderPool
from ..fusion import Fused
from ..ingest import Plan, Progress, encode_rows, plan_document, scan_plans
from ..ingest_api import IngestEntryPoints
from ..ingest_steps import attempt
from ..kb_reads import CatalogReads
from ..layout import validate_scope
from ..rerank import Reranker, load_reranker
from ..sparse import SparseIndex
from ..types import DocumentInfo, Hit, IngestReport, LoadedDocument
from .ann import AnnSettings, ensure_hnsw
from .catalog import PgCatalog, PgIndexState
from .connection import connections
from .dense import PgDense, kind_of
from .schema import scope_lock_key
from .writes import embed_plans, replace_vectors, write_plans

__all__ = ["PgKnowledgeBase"]


@dataclass(frozen=True)
class _Held:
    """What this object keeps in memory for one generation of its scope."""

    generation: int
    sparse: SparseIndex
    ids: frozenset[int]
    sentences: int
    dim: int


class PgKnowledgeBase(IngestEntryPoints, CatalogReads):
    def __init__(self, dsn: str, scope: str, embedder: Embedder | EmbedderPool,
                 config: RetrievalConfig | None = None, *, reranker: Reranker | None = None,
                 data_dir: str | Path | None = None) -> None:
        self.scope = validate_scope(scope)
        self.dsn = dsn
        self.data_dir = Path(data_dir) if data_dir is not None else None  # kept for callers' paths only
        self._pool = embedder if isinstance(embedder, EmbedderPool) and not embedder.forced else None
        self._fixed = None if self._pool else embedder.default() if isinstance(embedder, EmbedderPool) else embedder
        self.auto = self._pool is not None
        self.config = config or RetrievalConfig()
        self.reranker = reranker if reranker is not None else load_reranker(self.config.reranker_path)
        self.connections = connections(dsn)
        self.catalog = PgCatalog(self.connections, self.scope)
        self._ann = AnnSettings(self.config.ann_threshold, self.config.hnsw_m, self.config.hnsw_ef_search)
        self._state_lock = threading.Lock()
        self._held: _Held | None = None

    # ================================================================ embedder
    @property
    def embedder(self) -> Embedder:
        """The embedder this scope's vectors are (or, before its first ingest, would be) made with."""
        return self._fixed or self._built_with(self.catalog.index_state()) or self._auto().default()

    def _auto(self) -> EmbedderPool:
        assert self._pool is not None
        return self._pool

    def _built_with(self, state: PgIndexState) -> Embedder | None:
        return self._auto().recorded_for(state.embedder, bool(state.generation))

    def _check_embedder(self, embedder: Embedder, state: PgIndexState) -> None:
        if state.generation:
            check_name(self.scope, state.embedder, embedder)

    # ================================================================ reading
    def stats(self) -> dict[str, object]:
        with self.connections.snapshot() as conn:
            state = self.catalog.index_state(conn)
            documents, chunks = self.catalog.counts(conn)
            held = self._hold(conn, state)
            size = self.catalog.stored_bytes(conn)
        return {
            "scope": self.scope, "documents": documents, "chunks": chunks, "vectors": len(held.ids),
            "sentence_vectors": held.sentences, "index_type": kind_of(len(held.ids), self._ann),
            "generation": state.generation, "bytes": size, "dim": held.dim, "fusion": self.config.fusion,
            "reranker": self.config.reranker_path if self.reranker else None,
        }

    def search(self, query: str, k: int = 5) -> list[Hit]:
        """Dense top-N + sentence top-N + BM25 top-N → fusion → optional rerank → top k hits."""
        if k <= 0 or not query or not query.strip():
            return []
        state = self.catalog.index_state()
        if not state.generation:
            return []
        embedder = self._fixed or self._built_with(state) or self._auto().default()
        self._check_embedder(embedder, state)
        query_vec = embedder.encode_query(query)  # before the snapshot: no transaction open while encoding
        depth = max(k, self.config.rerank_top_n) if self.reranker else k
        with self.connections.snapshot() as conn:
            held = self._hold(conn, self.catalog.index_state(conn))
            if not held.ids:
                return []
            dense = PgDense(conn, self.scope, held.dim, held.ids, held.sentences, self._ann)
            fused = hybrid.rank(query, query_vec, dense, held.sparse, self.config)  # type: ignore[arg-type]
            hits = self._hits(conn, fused, depth)
        if self.reranker and hits:
            hits = self.reranker.rerank(query, hits)
        return hits[:k]

    def _hold(self, conn: psycopg.Connection, state: PgIndexState) -> _Held:
        """The in-memory part for the snapshot's generation, rebuilt from its rows when it moved on."""
        with self._state_lock:
            held = self._held
            if held is None or held.generation != state.generation:
                rows = self.catalog.all_chunks(conn)
                sparse = SparseIndex()
                sparse.rebuild([r.id for r in rows], [passage_text(r.title, r.heading, r.text) for r in rows])
                dim = state.dim or (self._fixed or self._auto().default()).dim
                held = self._held = _Held(state.generation, sparse, frozenset(r.id for r in rows),
                                          self.catalog.sentence_count(conn), dim)
            return held

    def _hits(self, conn: psycopg.Connection, fused: list[Fused], depth: int) -> list[Hit]:
        hits: list[Hit] = []
        seen_shas: set[str] = set()
        window = depth * 2 + 8  # room for dropping duplicate chunks
        for start in range(0, len(fused), window):
            batch = fused[start : start + window]
            rows = self.catalog.chunk_rows([f.id for f in batch], conn)
            for rank, f in enumerate(batch, start=start + 1):
                row = rows.get(f.id)
                if row is None or row.sha256 in seen_shas:
                    continue  # an identical chunk of another document
                seen_shas.add(row.sha256)
                hits.append(Hit(chunk_id=row.id, document_id=row.document_id, text=row.text, title=row.title,
                                source=row.source, page=row.page, heading=row.heading, dense=f.dense,
                                sparse=f.sparse, fused=f.fused, scores={"rank": float(rank)}))
                if len(hits) >= depth:
                    return hits
        return hits

    # ================================================================ writing
    def remove(self, ref: int | str) -> DocumentInfo | None:
        """Remove a document (by id or source), its chunks and vectors, in one generation."""
        with self._writer() as conn:
            info = self._find(ref, conn)
            if info is None:
                return None

            def apply(c: psycopg.Connection) -> None:
                self.catalog.delete_chunks(c, self.catalog.document_chunk_ids(info.id, c))
                self.catalog.delete_document(c, info.id)

            self._publish(conn, apply, self._embedder_of(conn))
            return info

    def reindex(self, embedder: Embedder | None = None) -> int:
        """Re-embed every chunk of the scope as a new generation (with `embedder`, which the scope
        then records and uses); returns the number of chunks."""
        with self._writer() as conn:
            embedder = embedder or self._embedder_of(conn)
            rows = self.catalog.all_chunks(conn)
            vectors, per_chunk = encode_rows(embedder, rows, self.config)
            self._publish(conn, lambda c: replace_vectors(c, self.scope, rows, vectors, per_chunk), embedder)
            if self._fixed is not None:
                self._fixed = embedder
            return len(rows)

    def _embedder_of(self, conn: psycopg.Connection) -> Embedder:
        return self._fixed or self._built_with(self.catalog.index_state(conn)) or self._auto().default()

    def _ingest(self, loaders: list[tuple[str, Callable[[], LoadedDocument]]], *, added_by: str | None,
                progress: Progress | None) -> IngestReport:
        report = IngestReport()
        notify = progress or (lambda stage, done, total: None)
        with self._writer() as conn:
            state = self.catalog.index_state(conn)
            chosen = self._built_with(state) if self._pool is not None else self._fixed
            embedder = chosen or self._auto().default()
            self._check_embedder(embedder, state)
            docs: list[tuple[str, LoadedDocument]] = []
            for done, (source, load_one) in enumerate(loaders):
                notify("loading", done, len(loaders))
                loaded, doc = attempt(report, source, load_one)
                if loaded and doc is not None:
                    docs.append((source, doc))
            if chosen is None:  # auto, a scope never built: its documents' language decides
                embedder = self._auto().for_texts(doc.text for _, doc in docs)
            plans = self._plan(report, docs, embedder, conn)
            notify("loading", len(loaders), len(loaders))
            if not plans:
                return report
            if self._pool is not None and chosen is not None:
                report.notes += self._pool.hints(self.scope, embedder, [p.doc.text for p in plans])
            report.suspicious = scan_plans(plans, self.config.limits.injection_threshold)
            report.chunks_embedded = embed_plans(plans, self.catalog, conn, embedder, notify,
                                                   self.config.sentence_vectors)
            notify("indexing", 0, 1)
            self._publish(conn, lambda c: write_plans(c, self.catalog, plans, added_by), embedder)
            notify("indexing", 1, 1)
            report.added += sum(p.existing_id is None for p in plans)
            report.updated += sum(p.existing_id is not None for p in plans)
        return report

    def _plan(self, report: IngestReport, docs: list[tuple[str, LoadedDocument]], embedder: Embedder,
              conn: psycopg.Connection) -> list[Plan]:
        plans: list[Plan] = []
        limit = self.config.limits.max_documents
        have = self.catalog.counts(conn)[0]
        for source, doc in docs:
            planned, plan = attempt(report, source, lambda d=doc: plan_document(
                d, self.catalog, embedder, self.config))  # type: ignore[arg-type]
            if not planned:
                continue
            if plan is None:
                report.unchanged += 1
                continue
            if any(p.doc.source == plan.doc.source for p in plans):
                continue  # the same URL or file listed twice
            if plan.existing_id is None and limit > 0 and have + sum(p.existing_id is None for p in plans) >= limit:
                report.errors.append({"source": source, "error": (
                    f"document limit reached ({limit} per knowledge base); remove documents first")})
                continue
            plans.append(plan)
        return plans

    # ---------------------------------------------------------------- one writer, one transaction
    @contextmanager
    def _writer(self) -> Iterator[psycopg.Connection]:
        """A connection holding the scope's advisory lock (one writer per scope, any process)."""
        key = scope_lock_key(self.scope)
        with self.connections.connection() as conn:
            conn.execute("SELECT pg_advisory_lock(%s)", (key,))
            try:
                yield conn
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", (key,))

    def _publish(self, conn: psycopg.Connection, apply: Callable[[psycopg.Connection], object],
                 embedder: Embedder) -> int:
        """Apply a change and move the scope to its next generation in one transaction."""
        with conn.transaction():
            apply(conn)
            generation = self.catalog.bump_generation(conn, label_of(embedder), embedder.dim)
            chunks = self.catalog.counts(conn)[1]
            if chunks >= self._ann.threshold:
                ensure_hnsw(conn, "chunks", self.scope, embedder.dim, self._ann)
            if self.catalog.sentence_count(conn) >= self._ann.threshold:
                ensure_hnsw(conn, "sentences", self.scope, embedder.dim, self._ann)
        return generation

    def _find(self, ref: int | str, conn: psycopg.Connection | None = None) -> DocumentInfo | None:
        if isinstance(ref, str) and ref.strip().isdigit() and self.catalog.document(ref, conn) is None:
            ref = int(ref)
        info = self.catalog.document(ref, conn)
        if info is None and isinstance(ref, str) and not ref.startswith(("http://", "https://")):
            try:
                info = self.catalog.document(str(Path(ref).expanduser().resolve()), conn)
            except OSError:
                info = None
        return info
