"""One knowledge base per scope: catalogue rows in SQLite, dense + sparse index files beside it
(files under `data_dir`: see layout.py).

Every change writes a new generation of both index files, then commits the
chunk rows, document rows and `index_state.generation` in ONE transaction,
and only then deletes the previous generation. Readers load whatever
generation the DB names, so a crash at any point leaves the last good state.
"""
from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

from . import embedder_record, hybrid
from .catalog import Catalog
from .config import RetrievalConfig
from .dense import DenseIndex
from .embedder import Embedder, passage_text
from .embedders import EmbedderPool
from .fsutil import remove_path, tree_size
from .ingest import Plan, Progress, embed_plans, encode_rows, plan_document, rebuild_from_rows, scan_plans, write_plans
from .ingest_api import IngestEntryPoints
from .ingest_steps import attempt
from .kb_reads import CatalogReads
from .layout import DB_FILENAME, generation_of, index_dir, safe_scope_name, validate_scope
from .locking import ScopeLock
from .rerank import Reranker, load_reranker
from .sparse import SparseIndex
from .types import DocumentInfo, Hit, IngestReport, LoadedDocument

__all__ = ["DB_FILENAME", "KnowledgeBase", "safe_scope_name", "validate_scope"]

log = logging.getLogger(__name__)

class KnowledgeBase(IngestEntryPoints, CatalogReads):
    def __init__(
        self,
        data_dir: str | Path,
        scope: str,
        embedder: Embedder | EmbedderPool,
        config: RetrievalConfig | None = None,
        *,
        reranker: Reranker | None = None,
        db_path: str | Path | None = None,
    ) -> None:
        self.scope = validate_scope(scope)
        self.data_dir = Path(data_dir)
        # auto: the pool picks this scope's embedder; else one fixed embedder, checked against the record
        self._pool = embedder if isinstance(embedder, EmbedderPool) and not embedder.forced else None
        self._fixed = None if self._pool else embedder.default() if isinstance(embedder, EmbedderPool) else embedder
        self._record_seen: tuple[int, str | None] | None = None  # (generation, recorded embedder name)
        self.auto = self._pool is not None  # the embedder is chosen per scope (nothing forces one)
        self.config = config or RetrievalConfig()
        self.db_path = Path(db_path) if db_path else self.data_dir / DB_FILENAME
        self.index_dir = index_dir(self.data_dir, scope)
        self.index_dir.mkdir(parents=True, exist_ok=True)
        self.catalog = Catalog(self.db_path, scope)
        self.reranker = reranker if reranker is not None else load_reranker(self.config.reranker_path)
        self._lock = ScopeLock(self.index_dir / ".lock")
        self._state_lock = threading.Lock()  # guards the published in-memory indexes below
        self._generation: int | None = None  # generation held in memory (None: not loaded yet)
        self._dense: DenseIndex | None = None
        self._sparse: SparseIndex | None = None
        with self._lock.hold(blocking=False) as held:
            if held:  # nobody is writing this scope: files not named by the DB are leftovers
                self._remove_other_generations(self.catalog.index_state().generation)

    # ================================================================ embedder
    @property
    def embedder(self) -> Embedder:
        """The embedder this scope's vectors are (or, before its first ingest, would be) made with."""
        return self._fixed or self._built_with() or self._auto().default()

    def _auto(self) -> EmbedderPool:
        assert self._pool is not None
        return self._pool

    def _built_with(self) -> Embedder | None:
        """auto: the recorded embedder, read once per generation (every publish moves it)."""
        generation, seen = self.catalog.index_state().generation, self._record_seen
        if seen is None or seen[0] != generation:
            seen = self._record_seen = (generation, embedder_record.recorded(self.index_dir))
        return self._auto().recorded_for(seen[1], bool(generation))

    # ================================================================ reading
    def stats(self) -> dict[str, object]:
        documents, chunks = self.catalog.counts()
        dense, _sparse, generation = self._current()
        state = self.catalog.index_state()
        size = 0
        for name in (state.dense_file, state.sparse_dir):
            if name:
                size += tree_size(self.index_dir / name)
        return {
            "scope": self.scope,
            "documents": documents,
            "chunks": chunks,
            "vectors": len(dense),
            "sentence_vectors": len(dense.sentences),
            "index_type": dense.kind,
            "generation": generation,
            "bytes": size,
            "dim": dense.dim,
            "fusion": self.config.fusion,
            "reranker": self.config.reranker_path if self.reranker else None,
        }

    def search(self, query: str, k: int = 5) -> list[Hit]:
        """Dense top-N + BM25 top-N → fusion → optional rerank → top k hits (best first)."""
        if k <= 0 or not query or not query.strip():
            return []
        dense, sparse, generation = self._current()
        if len(dense) == 0 and len(sparse) == 0:
            return []
        embedder = self.embedder
        self._check_embedder(embedder, generation)
        query_vec = embedder.encode_query(query)
        fused = hybrid.rank(query, query_vec, dense, sparse, self.config)
        depth = max(k, self.config.rerank_top_n) if self.reranker else k
        hits = self._hits(fused, depth)
        if self.reranker and hits:
            hits = self.reranker.rerank(query, hits)
        return hits[:k]

    def _hits(self, fused: list, depth: int) -> list[Hit]:
        hits: list[Hit] = []
        seen_shas: set[str] = set()
        window = depth * 2 + 8  # room for dropping duplicate chunks
        for start in range(0, len(fused), window):
            batch = fused[start : start + window]
            rows = self.catalog.chunk_rows([f.id for f in batch])
            for rank, f in enumerate(batch, start=start + 1):
                row = rows.get(f.id)
                if row is None or row.sha256 in seen_shas:
                    continue  # vanished (concurrent change) or an identical chunk of another document
                seen_shas.add(row.sha256)
                hits.append(Hit(
                    chunk_id=row.id, document_id=row.document_id, text=row.text, title=row.title,
                    source=row.source, page=row.page, heading=row.heading, dense=f.dense, sparse=f.sparse,
                    fused=f.fused, scores={"rank": float(rank)},
                ))
                if len(hits) >= depth:
                    return hits
        return hits

    # ================================================================ writing
    def remove(self, ref: int | str) -> DocumentInfo | None:
        """Remove a document (by id or source) from the DB, FAISS and BM25 in one generation."""
        with self._lock.hold():
            info = self._find(ref)
            if info is None:
                return None

            def apply(conn: sqlite3.Connection, dense: DenseIndex) -> None:
                ids = self.catalog.document_chunk_ids(info.id, conn)
                self.catalog.delete_chunks(conn, ids)
                self.catalog.delete_document(conn, info.id)
                dense.remove(ids)

            self._publish(apply)
            return info

    # ---------------------------------------------------------------- ingest steps
    def _ingest(
        self,
        loaders: list[tuple[str, Callable[[], LoadedDocument]]],
        *,
        added_by: str | None,
        progress: Progress | None,
    ) -> IngestReport:
        report = IngestReport()
        notify = progress or (lambda stage, done, total: None)
        with self._lock.hold():
            chosen = self._built_with() if self._pool is not None else self._fixed
            embedder = chosen or self._auto().default()
            self._check_embedder(embedder)
            docs: list[tuple[str, LoadedDocument]] = []
            for done, (source, load_one) in enumerate(loaders):
                notify("loading", done, len(loaders))
                loaded, doc = attempt(report, source, load_one)
                if loaded and doc is not None:
                    docs.append((source, doc))
            if chosen is None:  # auto, a scope never built: its documents' language decides
                embedder = self._auto().for_texts(doc.text for _, doc in docs)
            plans: list[Plan] = []
            for source, doc in docs:
                planned, plan = attempt(report, source, lambda d=doc: plan_document(d, self.catalog, embedder, self.config))
                if not planned:
                    continue
                if plan is None:
                    report.unchanged += 1
                    continue
                if any(p.doc.source == plan.doc.source for p in plans):
                    continue  # the same URL or file listed twice
                if plan.existing_id is None and not self._room_for(sum(p.existing_id is None for p in plans)):
                    report.errors.append({"source": source, "error": (
                        f"document limit reached ({self.config.limits.max_documents} per knowledge base); "
                        "remove documents first")})
                    continue
                plans.append(plan)
            notify("loading", len(loaders), len(loaders))
            if not plans:
                return report
            if self._pool is not None and chosen is not None:  # non-English text in a MiniLM scope: a hint
                report.notes += self._pool.hints(self.scope, embedder, [p.doc.text for p in plans])
            report.suspicious = scan_plans(plans, self.config.limits.injection_threshold)
            current, mode = self._current(embedder)[0], self.config.sentence_vectors
            report.chunks_embedded = embed_plans(plans, self.catalog, current, embedder, notify, mode)
            self._publish(lambda conn, dense: write_plans(conn, self.catalog, dense, plans, added_by), notify,
                          embedder=embedder)
            for plan in plans:
                if plan.existing_id is None:
                    report.added += 1
                else:
                    report.updated += 1
        return report

    def reindex(self, embedder: Embedder | None = None) -> int:
        """Rebuild both indexes from the chunks the DB holds (re-embedding them) as a new
        generation; returns the number of chunks. `ragcord doctor --repair`; `ragcord reindex
        --embedder` passes another `embedder`, which the scope then records and uses."""
        with self._lock.hold():
            embedder = embedder or self.embedder
            rows = self.catalog.all_chunks()
            vectors, per_chunk = encode_rows(embedder, rows, self.config)

            def apply(conn: sqlite3.Connection, dense: DenseIndex) -> None:
                dense.remove(dense.ids())
                if rows:
                    dense.add([r.id for r in rows], vectors, per_chunk)

            with self._state_lock:  # start from an empty index: never trust unreadable files
                self._dense = DenseIndex(embedder.dim, **self._dense_options())
                self._sparse, self._generation = SparseIndex(), self.catalog.index_state().generation
            self._publish(apply, embedder=embedder)
            if self._fixed is not None:
                self._fixed = embedder
            return len(rows)

    def _check_embedder(self, embedder: Embedder, generation: int | None = None) -> None:
        """`generation`: the one just read, when the caller has it (one catalogue read saved)."""
        if (self.catalog.index_state().generation if generation is None else generation):
            embedder_record.check(self.index_dir, self.scope, embedder)

    def _room_for(self, pending_new: int) -> bool:
        """Whether one more new document fits under config.limits.max_documents (0 = unlimited)."""
        limit = self.config.limits.max_documents
        return limit <= 0 or self.catalog.counts()[0] + pending_new < limit

    # ---------------------------------------------------------------- generations
    def _publish(
        self,
        apply: Callable[[sqlite3.Connection, DenseIndex], None],
        notify: Progress | None = None,
        *,
        embedder: Embedder | None = None,
    ) -> None:
        """Apply a change to a copy of the indexes, write generation N+1, commit, swap, clean up.

        `embedder` (default: the scope's) made the vectors; it is recorded before the commit.
        Must be called with the scope lock held.
        """
        notify = notify or (lambda stage, done, total: None)
        embedder = embedder or self.embedder
        current_dense, _sparse, _generation = self._current(embedder)
        dense = current_dense.copy()
        written: list[Path] = []
        previous = embedder_record.recorded(self.index_dir)
        try:
            with self.catalog.transaction() as conn:
                generation = self.catalog.index_state(conn).generation + 1
                apply(conn, dense)
                notify("indexing", 0, 2)
                rows = self.catalog.all_chunks(conn)
                sparse = SparseIndex()
                sparse.rebuild([r.id for r in rows], [passage_text(r.title, r.heading, r.text) for r in rows])
                if len(dense) != len(rows):
                    raise RuntimeError(
                        f"index out of step with the catalogue ({len(dense)} vectors, {len(rows)} chunks)"
                    )
                dense_name, sparse_name = f"dense-{generation}.faiss", f"sparse-{generation}"
                written += [self.index_dir / dense_name, self.index_dir / sparse_name]
                dense.save(self.index_dir / dense_name)
                sparse.save(self.index_dir / sparse_name)
                notify("indexing", 1, 2)
                self.catalog.set_index_state(conn, generation, dense_name, sparse_name)
                embedder_record.record(self.index_dir, embedder)
            # committed: the new generation is the truth now
        except BaseException:
            for path in written:
                remove_path(path)
            if embedder_record.recorded(self.index_dir) != previous:
                embedder_record.restore(self.index_dir, previous)
            raise
        with self._state_lock:
            self._dense, self._sparse, self._generation = dense, sparse, generation
        self._remove_other_generations(generation)
        notify("indexing", 2, 2)

    def _current(self, embedder: Embedder | None = None) -> tuple[DenseIndex, SparseIndex, int]:
        """The indexes of the generation the DB names, loaded when it moved on (`embedder`: the
        one about to write: a new scope's empty index takes its dimension)."""
        generation = self.catalog.index_state().generation
        with self._state_lock:
            if (self._generation != generation or self._dense is None or self._sparse is None
                    or (generation == 0 and embedder is not None and self._dense.dim != embedder.dim)):
                self._dense, self._sparse = self._load_generation(embedder)
                self._generation = generation
            return self._dense, self._sparse, self._generation

    def _dense_options(self) -> dict[str, int]:
        cfg = self.config
        return dict(ann_threshold=cfg.ann_threshold, hnsw_m=cfg.hnsw_m, ef_search=cfg.hnsw_ef_search,
                    ivf_threshold=cfg.ivf_threshold, ivf_nprobe=cfg.ivf_nprobe)

    def _load_generation(self, embedder: Embedder | None = None) -> tuple[DenseIndex, SparseIndex]:
        state = self.catalog.index_state()
        options = self._dense_options()
        if state.generation == 0 or not state.dense_file or not state.sparse_dir:
            return DenseIndex((embedder or self.embedder).dim, **options), SparseIndex()
        try:
            dense = DenseIndex.load(self.index_dir / state.dense_file, **options)
            sparse = SparseIndex.load(self.index_dir / state.sparse_dir)
            return dense, sparse
        except (OSError, RuntimeError, ValueError) as exc:
            log.warning("index files of %s generation %s unreadable (%s); rebuilding from the catalogue",
                        self.scope, state.generation, exc)
            return rebuild_from_rows(self.catalog.all_chunks(), self.embedder, self.config, options)

    def _remove_other_generations(self, keep: int) -> None:
        for entry in self.index_dir.iterdir():
            if entry.name.startswith(".") and entry.name.endswith(".tmp"):
                remove_path(entry)  # an interrupted write
                continue
            generation = generation_of(entry.name)
            if generation is not None and generation != keep:
                remove_path(entry)

    def _find(self, ref: int | str) -> DocumentInfo | None:
        if isinstance(ref, str) and ref.strip().isdigit() and self.catalog.document(ref) is None:
            ref = int(ref)
        info = self.catalog.document(ref)
        if info is None and isinstance(ref, str) and not ref.startswith(("http://", "https://")):
            try:
                info = self.catalog.document(str(Path(ref).expanduser().resolve()))
            except OSError:
                info = None
        return info
