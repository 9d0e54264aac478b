"""Plain data carried between retrieval steps (no behaviour, no I/O)."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Section:
    """A run of text from one place in a document (a page of a PDF, a heading's body)."""

    text: str
    page: int | None = None  # 1-based page number where the format has pages
    heading: str | None = None  # nearest heading / section title, if known


@dataclass(frozen=True)
class LoadedDocument:
    """What a loader returns: the text of one source, split into sections, plus metadata."""

    source: str  # absolute path or URL, the document's identity within a scope
    title: str
    sections: list[Section]
    mime: str = "text/plain"

    @property
    def text(self) -> str:
        return "\n\n".join(s.text for s in self.sections)


@dataclass(frozen=True)
class ChunkDraft:
    """A chunk before it has an id: text plus where it came from."""

    text: str
    ord: int
    page: int | None = None
    heading: str | None = None


@dataclass(frozen=True)
class Hit:
    """One retrieved chunk with every score that led to it."""

    chunk_id: int
    document_id: int
    text: str
    title: str
    source: str
    page: int | None = None
    heading: str | None = None
    dense: float | None = None  # cosine similarity
    sparse: float | None = None  # BM25 score
    fused: float = 0.0  # fused score used for ranking
    rerank: float | None = None  # cross-encoder score, when a reranker ran
    scores: dict[str, float] = field(default_factory=dict)  # extra per-step scores

    @property
    def score(self) -> float:
        return self.rerank if self.rerank is not None else self.fused


@dataclass(frozen=True)
class DocumentInfo:
    id: int
    scope: str
    source: str
    title: str
    sha256: str
    chunk_count: int
    added_by: str | None
    added_at: str


@dataclass
class IngestReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    chunks_embedded: int = 0
    errors: list[dict[str, str]] = field(default_factory=list)
    suspicious: list[dict[str, object]] = field(default_factory=list)  # source, ord, reason, score
    notes: list[str] = field(default_factory=list)  # one-line hints for the operator (e.g. reindex)

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "chunks_embedded": self.chunks_embedded,
            "errors": list(self.errors),
        }
        if self.suspicious:
            out["suspicious"] = list(self.suspicious)
        if self.notes:
            out["notes"] = list(self.notes)
        return out
