"""The ingest steps for one batch of documents: plan (diff against the catalogue and chunk),
embed (reusing stored vectors of identical chunks), write (rows + dense vectors).

The knowledge base runs them under its scope lock and wraps `write_plans` in
the transaction that publishes a new index generation.
"""
from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from . import injection
from .catalog import Catalog, ChunkRow
from .chunking import chunk
from .config import RetrievalConfig, SentenceVectors
from .dense import DenseIndex
from .embedder import Embedder, passage_text
from .errors import IngestError
from .sparse import SparseIndex
from .types import ChunkDraft, LoadedDocument
from .unit_vectors import NO_UNITS, ChunkUnits, chunk_units, embed_chunks

Progress = Callable[[str, int, int], None]


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class Plan:
    """What one new or changed document will become."""

    doc: LoadedDocument
    sha256: str  # of title + text: unchanged documents are skipped on this
    existing_id: int | None  # the document row it replaces, if any
    drafts: list[ChunkDraft]
    passages: list[str]  # exactly what gets embedded: "title — heading\ntext"
    passage_shas: list[str]  # chunk identity for deduplication within the scope
    units: list[ChunkUnits]  # each chunk's sentence units (none without sentence vectors)
    vectors: list[np.ndarray] = field(default_factory=list)
    unit_vectors: list[np.ndarray] = field(default_factory=list)  # (units, dim) per chunk


def plan_document(doc: LoadedDocument, catalog: Catalog, embedder: Embedder, config: RetrievalConfig) -> Plan | None:
    """None when the catalogue already holds this exact document; else its chunks."""
    digest = sha256_text(doc.title + "\n\n" + doc.text)
    existing = catalog.document(doc.source)
    if existing is not None and existing.sha256 == digest:
        return None
    drafts = chunk(doc, max_tokens=chunk_budget(doc, embedder, config), overlap_tokens=config.overlap_tokens,
                   count_tokens=embedder.count_tokens)
    if not drafts:
        raise IngestError(f"empty document: {doc.source}")
    passages = [passage_text(doc.title, d.heading, d.text) for d in drafts]
    with_sentences = config.sentence_weight > 0
    units = [chunk_units(doc.title, d.heading, d.text) if with_sentences else NO_UNITS for d in drafts]
    return Plan(doc, digest, existing.id if existing else None, drafts, passages,
                [sha256_text(p) for p in passages], units)


def sentence_passages(title: str | None, heading: str | None, text: str) -> list[str]:
    """What gets embedded for each sentence unit of a chunk: "title — heading\nsentence"."""
    return chunk_units(title, heading, text).texts


def encode_rows(embedder: Embedder, rows: Sequence[ChunkRow], config: RetrievalConfig) -> tuple[np.ndarray, list[np.ndarray]]:
    """Chunk and sentence vectors of catalogue rows (for rebuilding the indexes from the DB),
    made as ingest makes them (config.sentence_weight, config.sentence_vectors)."""
    passages = [passage_text(r.title, r.heading, r.text) for r in rows]
    with_sentences = config.sentence_weight > 0
    units = [chunk_units(r.title, r.heading, r.text) if with_sentences else NO_UNITS for r in rows]
    return embed_chunks(embedder, passages, units, config.sentence_vectors)


def chunk_budget(doc: LoadedDocument, embedder: Embedder, config: RetrievalConfig) -> int:
    """config.chunk_tokens, shrunk so "title — heading\\n" + chunk fits the embedder's window."""
    headings = {s.heading for s in doc.sections if s.heading} | {None}
    longest_head = max(embedder.count_tokens(passage_text(doc.title, h, "")) for h in headings)
    room = embedder.max_tokens - 2 - longest_head  # 2 = [CLS] and [SEP]
    return max(min(config.chunk_tokens, room), config.overlap_tokens + 16)


def embed_plans(plans: list[Plan], catalog: Catalog, dense: DenseIndex, embedder: Embedder, notify: Progress,
                sentence_vectors: SentenceVectors) -> int:
    """Fill plan.vectors and plan.unit_vectors: reuse the stored vectors of identical chunks
    (when their sentence vectors are stored too), embed each new passage once.

    Returns how many passages were embedded.
    """
    units_of = {sha: units for p in plans for sha, units in zip(p.passage_shas, p.units)}
    known = catalog.chunk_ids_by_sha(list(units_of))
    stored = dense.sentences.counts()
    vectors: dict[str, np.ndarray] = {}
    unit_vectors: dict[str, np.ndarray] = {}
    for sha, cid in known.items():
        if cid in dense and stored.get(cid, 0) == len(units_of[sha].texts):
            vectors[sha] = dense.reconstruct(cid)
            unit_vectors[sha] = dense.sentences.vectors(cid)
    return fill_plans(plans, vectors, unit_vectors, embedder, notify, sentence_vectors)


def fill_plans(plans: list[Plan], vectors: dict[str, np.ndarray], unit_vectors: dict[str, np.ndarray],
               embedder: Embedder, notify: Progress, sentence_vectors: SentenceVectors) -> int:
    """Embed each passage (and its sentence units, as `sentence_vectors` says) not in `vectors`
    (by passage sha256) once, then fill every plan's vectors; returns how many passages were embedded."""
    units_of = {sha: units for p in plans for sha, units in zip(p.passage_shas, p.units)}
    todo: dict[str, str] = {}
    for plan in plans:
        for sha, passage in zip(plan.passage_shas, plan.passages):
            if sha not in vectors:
                todo.setdefault(sha, passage)
    shas = sorted(todo, key=lambda sha: len(todo[sha]))  # similar lengths share slices: less padding
    step = max(1, embedder.batch_size * 4)
    for start in range(0, len(shas), step):
        notify("embedding", start, len(shas))
        part = shas[start : start + step]
        chunk_vectors, per_chunk = embed_chunks(embedder, [todo[s] for s in part], [units_of[s] for s in part],
                                                sentence_vectors)
        vectors.update(zip(part, chunk_vectors))
        unit_vectors.update(zip(part, per_chunk))
    notify("embedding", len(shas), len(shas))
    for plan in plans:
        plan.vectors = [vectors[s] for s in plan.passage_shas]
        plan.unit_vectors = [unit_vectors[s] for s in plan.passage_shas]
    return len(shas)


def write_plans(
    conn: sqlite3.Connection, catalog: Catalog, dense: DenseIndex, plans: list[Plan], added_by: str | None
) -> None:
    """Replace/insert the rows of every planned document and mirror them in `dense` (inside a transaction)."""
    new_ids: list[int] = []
    new_vectors: list[np.ndarray] = []
    new_units: list[np.ndarray] = []
    for plan in plans:
        if plan.existing_id is not None:
            old_ids = catalog.document_chunk_ids(plan.existing_id, conn)
            catalog.delete_chunks(conn, old_ids)
            dense.remove(old_ids)
        doc_id = catalog.upsert_document(
            conn, source=plan.doc.source, title=plan.doc.title, sha256=plan.sha256, mime=plan.doc.mime,
            added_by=added_by, chunk_count=len(plan.drafts),
        )
        for draft, sha, vector, units in zip(plan.drafts, plan.passage_shas, plan.vectors, plan.unit_vectors):
            new_ids.append(catalog.insert_chunk(
                conn, document_id=doc_id, ord=draft.ord, text=draft.text, page=draft.page,
                heading=draft.heading, sha256=sha,
            ))
            new_vectors.append(vector)
            new_units.append(units)
    if new_ids:
        dense.add(new_ids, np.stack(new_vectors), new_units)


def scan_plans(plans: list[Plan], threshold: float) -> list[dict[str, object]]:
    """Chunks that look like injected instructions: {source, ord, reason, score} each."""
    found: list[dict[str, object]] = []
    for plan in plans:
        for draft in plan.drafts:
            hit = injection.scan(draft.text, threshold)
            if hit is not None:
                found.append({"source": plan.doc.source, "ord": draft.ord, "reason": hit.reason, "score": hit.score})
    return found


def rebuild_from_rows(rows: list[ChunkRow], embedder: Embedder, config: RetrievalConfig,
                      options: dict[str, int]) -> tuple[DenseIndex, SparseIndex]:
    """Last resort when index files are lost: re-embed every chunk the DB holds (in memory only)."""
    dense = DenseIndex(embedder.dim, **options)
    if rows:
        vectors, per_chunk = encode_rows(embedder, rows, config)
        dense.add([r.id for r in rows], vectors, per_chunk)
    sparse = SparseIndex()
    sparse.rebuild([r.id for r in rows], [passage_text(r.title, r.heading, r.text) for r in rows])
    return dense, sparse
