from __future__ import annotations

from pathlib import Path

import pytest

from retrieval.catalog import Catalog
from retrieval.config import RetrievalConfig
from retrieval.knowledge_base import KnowledgeBase, safe_scope_name
from retrieval.knowledge_bases import AnyKnowledgeBase, KnowledgeBases
from retrieval.rerank import Reranker

from .conftest import KbFactory, write_pdf

# The tests taking `any_kb` run once on SQLite + FAISS and once on PostgreSQL + pgvector; those
# taking `make_kb` are about the FAISS files of the SQLite backend.

DOCS = {
    "returns.md": "# Returns\n\nUnused items can be returned within thirty days for a full refund.\n\n"
                  "## Damaged goods\n\nSend a photo of the damage within seven days and we replace the item.",
    "shipping.txt": "Orders ship from our warehouse in Rotterdam.\n\nInternational delivery takes five to eight "
                    "working days; tracking numbers arrive by email.",
    "sub/passwords.md": "# Accounts\n\nTo reset a forgotten password, click 'Forgot password' on the sign-in page "
                        "and follow the link we email you.",
}


def make_folder(root: Path, docs: dict[str, str] = DOCS) -> Path:
    for name, text in docs.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def chunk_ids(kb: AnyKnowledgeBase) -> set[int]:
    return {r.id for r in kb.catalog.all_chunks()}


def index_ids(kb: AnyKnowledgeBase) -> tuple[set[int], set[int]]:
    """The chunk ids the dense side and the BM25 side of the current generation hold: the FAISS
    and BM25 files; in PostgreSQL the chunk rows' vectors and the BM25 index the kb holds."""
    if isinstance(kb, KnowledgeBase):
        dense, sparse, _ = kb._current()
        return set(dense.ids().tolist()), set(sparse.ids)
    with kb.connections.snapshot() as conn:
        held = kb._hold(conn, kb.catalog.index_state(conn))
        rows = conn.execute("SELECT id FROM kb_chunks WHERE scope = %s AND dim = %s", (kb.scope, held.dim))
        return {int(r[0]) for r in rows}, set(held.sparse.ids)


def index_files(kb: AnyKnowledgeBase) -> list[str]:
    """The index files on disk: the scope's FAISS generation files (SQLite + FAISS); whatever the
    kb wrote under its data dir (PostgreSQL, where it should be nothing)."""
    if isinstance(kb, KnowledgeBase):
        return sorted(p.name for p in kb.index_dir.iterdir() if not p.name.startswith("."))
    data_dir = Path(kb.data_dir)  # type: ignore[arg-type]  # any_kb always gives one; Path(None) would raise
    return sorted(str(p.relative_to(data_dir)) for p in data_dir.rglob("*"))


def files_of_generation(backend: str, generation: int) -> list[str]:
    """What `index_files` shows once `generation` is the current one."""
    return {"sqlite": [f"dense-{generation}.faiss", f"sparse-{generation}"], "postgres": []}[backend]


INDEX_TYPE = {"sqlite": "flat", "postgres": "pgvector-exact"}  # below ann_threshold
KB_CLASS = {"sqlite": "KnowledgeBase", "postgres": "PgKnowledgeBase"}


def test_ingest_folder_twice_embeds_nothing_second_time(tmp_path: Path, any_kb: KbFactory) -> None:
    folder = make_folder(tmp_path / "docs")
    kb = any_kb()
    stages: list[str] = []
    first = kb.ingest(folder, added_by="admin", progress=lambda stage, done, total: stages.append(stage))
    assert (first.added, first.updated, first.unchanged, first.errors) == (3, 0, 0, [])
    assert first.chunks_embedded == len(chunk_ids(kb)) > 0
    assert {"loading", "embedding", "indexing"} <= set(stages)
    second = kb.ingest([folder])
    assert second.as_dict() == {"added": 0, "updated": 0, "unchanged": 3, "chunks_embedded": 0, "errors": []}
    assert kb.stats()["generation"] == 1
    assert index_files(kb) == files_of_generation(any_kb.backend, 1)
    docs = kb.list_documents()
    assert [Path(d.source).name for d in docs] == ["returns.md", "shipping.txt", "passwords.md"]
    assert all(d.added_by == "admin" and d.chunk_count > 0 for d in docs)


def test_search_returns_cited_hits(tmp_path: Path, any_kb: KbFactory) -> None:
    kb = any_kb()
    kb.ingest(make_folder(tmp_path / "docs"))
    hits = kb.search("how long does international shipping take", k=3)
    assert Path(hits[0].source).name == "shipping.txt"
    assert hits[0].dense is not None and hits[0].sparse is not None and 0 < hits[0].fused <= 1
    assert [h.fused for h in hits] == sorted((h.fused for h in hits), reverse=True)
    damaged = kb.search("my parcel arrived broken", k=1)[0]
    assert damaged.heading == "Damaged goods" and damaged.title == "Returns"
    assert kb.search("   ") == [] and kb.search("anything", k=0) == []
    got = kb.get_chunks([hits[0].chunk_id, 10**9])
    assert [g.chunk_id for g in got] == [hits[0].chunk_id] and got[0].text == hits[0].text


def test_pdf_pages_survive_to_hits(tmp_path: Path, any_kb: KbFactory) -> None:
    pdf = write_pdf(tmp_path / "manual.pdf", ["The battery lasts ten hours.", "Charge it with the USB-C cable."])
    kb = any_kb()
    assert kb.ingest(pdf).added == 1
    hit = kb.search("which cable charges it", k=1)[0]
    assert hit.page == 2 and "USB-C" in hit.text


def test_changed_file_replaces_chunks_and_reuses_vectors(tmp_path: Path, any_kb: KbFactory) -> None:
    folder = make_folder(tmp_path / "docs")
    kb = any_kb()
    kb.ingest(folder)
    doc = kb.get_document(str(folder / "returns.md"))
    old = set(kb.catalog.document_chunk_ids(doc.id))
    (folder / "returns.md").write_text(DOCS["returns.md"].replace("thirty days", "sixty days"))
    report = kb.ingest(folder)
    assert (report.added, report.updated, report.unchanged) == (0, 1, 2)
    assert report.chunks_embedded == 1  # the untouched "Damaged goods" chunk reused its vector
    new = set(kb.catalog.document_chunk_ids(doc.id))
    assert old.isdisjoint(new)
    dense_ids, sparse_ids = index_ids(kb)
    assert dense_ids == sparse_ids == chunk_ids(kb)
    assert "sixty days" in kb.search("unused items returned for a full refund", k=1)[0].text
    assert kb.stats()["generation"] == 2
    assert index_files(kb) == files_of_generation(any_kb.backend, 2)


def test_identical_chunks_embedded_once_and_returned_once(tmp_path: Path, any_kb: KbFactory) -> None:
    kb = any_kb()
    text = "Our office is closed on public holidays."
    first = kb.ingest_text("Notice", text, "a")
    second = kb.ingest_text("Notice", text, "b")
    assert first.chunks_embedded == 1 and second.chunks_embedded == 0 and second.added == 1
    hits = kb.search("is the office open on holidays", k=5)
    assert len(hits) == 1


def test_remove_drops_everywhere(tmp_path: Path, any_kb: KbFactory) -> None:
    folder = make_folder(tmp_path / "docs")
    kb = any_kb()
    kb.ingest(folder)
    target = kb.get_document(str(folder / "shipping.txt"))
    gone = set(kb.catalog.document_chunk_ids(target.id))
    removed = kb.remove(str(folder / "shipping.txt"))
    assert removed is not None and removed.id == target.id
    dense_ids, sparse_ids = index_ids(kb)
    assert gone.isdisjoint(dense_ids | sparse_ids | chunk_ids(kb))
    assert dense_ids == sparse_ids == chunk_ids(kb)
    assert all("shipping" not in h.source for h in kb.search("Rotterdam warehouse delivery", k=5))
    assert kb.remove(str(folder / "shipping.txt")) is None
    by_id = kb.get_document(str(folder / "returns.md")).id
    assert kb.remove(by_id).id == by_id and kb.remove(str(by_id)) is None
    assert kb.stats()["documents"] == 1


def test_scopes_are_isolated(any_kb: KbFactory, embedder) -> None:
    kbs = KnowledgeBases(any_kb.data_dir, embedder, RetrievalConfig(), database_url=any_kb.database_url)
    one, two = kbs.get("guild:1"), kbs.get("guild:2")
    assert kbs.get("guild:1") is one and type(one).__name__ == KB_CLASS[any_kb.backend]
    one.ingest_text("Secret", "The vault code of guild one is 4711.", "vault.md")
    two.ingest_text("Menu", "Pizza night is on Fridays.", "menu.md")
    assert all(h.source == "menu.md" for h in two.search("vault code", k=5))
    assert one.search("vault code", k=1)[0].source == "vault.md"
    assert [d.source for d in two.list_documents()] == ["menu.md"]
    assert two.remove("vault.md") is None and one.get_document("vault.md") is not None
    assert kbs.scopes() == ["guild:1", "guild:2"]
    reopened = KnowledgeBases(any_kb.data_dir, embedder, database_url=any_kb.database_url)
    assert reopened.scopes() == ["guild:1", "guild:2"]


def test_scopes_have_their_own_index_dirs(make_kb) -> None:
    assert make_kb("guild:1").index_dir != make_kb("guild:2").index_dir


def test_safe_scope_names() -> None:
    assert safe_scope_name("global") == "global"
    assert safe_scope_name("guild:123") == "guild_3a123"
    assert safe_scope_name("dm:42") != safe_scope_name("dm_42")
    with pytest.raises(ValueError):
        safe_scope_name("../etc")


def test_bad_sources_reported_and_others_continue(tmp_path: Path, any_kb: KbFactory) -> None:
    folder = make_folder(tmp_path / "docs")
    (folder / "blob.txt").write_bytes(b"\x00\x01\x02binary")
    (folder / "empty.md").write_text("")
    kb = any_kb()
    report = kb.ingest([folder, tmp_path / "missing.pdf"])
    assert report.added == 3
    errors = {Path(e["source"]).name: e["error"] for e in report.errors}
    assert errors["blob.txt"].startswith("not a text file")
    assert errors["empty.md"].startswith("empty document")
    assert errors["missing.pdf"].startswith("no such file")
    assert all("\n" not in e for e in errors.values())


def test_crash_before_commit_keeps_previous_generation(tmp_path: Path, make_kb, monkeypatch) -> None:
    folder = make_folder(tmp_path / "docs")
    kb = make_kb()
    kb.ingest(folder)
    before_docs = kb.list_documents()
    before_hits = [(h.chunk_id, h.text) for h in kb.search("reset password", k=3)]

    def crash(*args, **kwargs):
        raise RuntimeError("power cut")

    monkeypatch.setattr(Catalog, "set_index_state", crash)
    (folder / "new.md").write_text("# New\n\nBrand new policy about gift cards.")
    (folder / "shipping.txt").write_text("Completely different shipping text.")
    with pytest.raises(RuntimeError, match="power cut"):
        kb.ingest(folder)
    monkeypatch.undo()

    assert index_files(kb) == ["dense-1.faiss", "sparse-1"]  # the half-written generation is gone
    for view in (kb, make_kb()):  # the same object, and a fresh process's view
        assert view.list_documents() == before_docs
        assert [(h.chunk_id, h.text) for h in view.search("reset password", k=3)] == before_hits
        dense_ids, sparse_ids = index_ids(view)
        assert dense_ids == sparse_ids == chunk_ids(view)
        assert view.stats()["generation"] == 1
    # and the next ingest works normally
    report = kb.ingest(folder)
    assert (report.added, report.updated) == (1, 1)


def test_hard_crash_leftovers_removed_on_open(tmp_path: Path, make_kb) -> None:
    kb = make_kb()
    kb.ingest_text("A", "Alpha text here.", "a")
    (kb.index_dir / "dense-2.faiss").write_bytes(b"half written")
    (kb.index_dir / "sparse-2").mkdir()
    (kb.index_dir / ".dense-3.faiss.abc.tmp").write_bytes(b"x")
    reopened = make_kb()
    assert index_files(reopened) == ["dense-1.faiss", "sparse-1"]
    assert not any(p.name.endswith(".tmp") for p in reopened.index_dir.iterdir())
    assert reopened.search("alpha", k=1)[0].source == "a"


def test_lost_index_files_rebuilt_from_catalog(tmp_path: Path, make_kb) -> None:
    kb = make_kb()
    kb.ingest_text("A", "Alpha text about llamas.", "a")
    (kb.index_dir / "dense-1.faiss").unlink()
    assert make_kb().search("llamas", k=1)[0].source == "a"


def test_progress_can_cancel(tmp_path: Path, any_kb: KbFactory) -> None:
    kb = any_kb()
    kb.ingest_text("A", "Alpha text.", "a")

    def cancel(stage: str, done: int, total: int) -> None:
        if stage == "indexing":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        kb.ingest(make_folder(tmp_path / "docs"), progress=cancel)
    assert [d.source for d in kb.list_documents()] == ["a"]
    assert kb.stats()["generation"] == 1 and [h.source for h in any_kb().search("alpha", k=5)] == ["a"]
    assert index_files(kb) == files_of_generation(any_kb.backend, 1)


def test_other_instance_changes_are_picked_up(tmp_path: Path, any_kb: KbFactory) -> None:
    reader, writer = any_kb(), any_kb()
    assert reader.search("anything") == []
    writer.ingest_text("Zebras", "Zebras have black and white stripes.", "z")
    assert reader.search("striped animal", k=1)[0].source == "z"


def test_hnsw_mode_is_transparent(tmp_path: Path, make_kb) -> None:
    kb = make_kb(config=RetrievalConfig(ann_threshold=3))
    kb.ingest(make_folder(tmp_path / "docs"))
    assert kb.stats()["index_type"] == "hnsw"
    assert Path(kb.search("forgot my password", k=1)[0].source).name == "passwords.md"
    kb.remove(kb.list_documents()[0].id)
    assert Path(make_kb(config=RetrievalConfig(ann_threshold=3)).search("forgot my password", k=1)[0].source).name \
        == "passwords.md"


def test_stats(tmp_path: Path, any_kb: KbFactory) -> None:
    kb = any_kb()
    assert kb.stats()["documents"] == 0 and kb.stats()["generation"] == 0
    kb.ingest(make_folder(tmp_path / "docs"))
    stats = kb.stats()
    assert stats["documents"] == 3 and stats["chunks"] == stats["vectors"] > 0
    assert stats["index_type"] == INDEX_TYPE[any_kb.backend] and stats["bytes"] > 0 and stats["dim"] == 384


class ReverseScorer:
    """A fake cross-encoder: prefers passages mentioning 'Rotterdam'."""

    def score(self, query: str, passages):
        return [10.0 if "Rotterdam" in p else -1.0 for p in passages]


def test_reranker_is_pluggable(tmp_path: Path, any_kb: KbFactory) -> None:
    kb = any_kb(reranker=Reranker(ReverseScorer()))
    kb.ingest(make_folder(tmp_path / "docs"))
    hits = kb.search("reset my password", k=2)
    assert "Rotterdam" in hits[0].text and hits[0].rerank == 10.0 and hits[0].score == 10.0


def test_search_while_ingesting_from_another_thread(tmp_path: Path, any_kb: KbFactory) -> None:
    import threading

    kb = any_kb()
    kb.ingest_text("Zebras", "Zebras have black and white stripes.", "z")
    folder = make_folder(tmp_path / "docs")
    failures: list[BaseException] = []

    def ingest() -> None:
        try:
            kb.ingest(folder)
        except BaseException as exc:  # pragma: no cover - reported below
            failures.append(exc)

    worker = threading.Thread(target=ingest)
    worker.start()
    searches = 0
    while worker.is_alive() or searches < 3:
        hits = kb.search("striped animal", k=2)
        assert hits and hits[0].source == "z"
        searches += 1
    worker.join()
    assert failures == []
    assert len(kb.list_documents()) == 4
