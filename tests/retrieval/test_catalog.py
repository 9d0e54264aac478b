from __future__ import annotations

from pathlib import Path

from retrieval.catalog import Catalog, connect, list_scopes, migrate


def test_migrations_idempotent_and_recorded(tmp_path: Path) -> None:
    db = tmp_path / "ragcord.db"
    conn = connect(db)
    try:
        assert migrate(conn) == [1, 2]
        assert migrate(conn) == []
        # another component's migrations live in the same table untouched
        conn.execute("INSERT INTO schema_migrations VALUES ('bot', 1, '2024-01-01T00:00:00')")
        assert migrate(conn) == []
        rows = conn.execute("SELECT component, version FROM schema_migrations ORDER BY component").fetchall()
        assert [tuple(r) for r in rows] == [("bot", 1), ("retrieval", 1), ("retrieval", 2)]
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 0
    finally:
        conn.close()


def test_scoped_rows_and_cascade(tmp_path: Path) -> None:
    db = tmp_path / "ragcord.db"
    one, two = Catalog(db, "guild:1"), Catalog(db, "guild:2")
    with one.transaction() as conn:
        doc = one.upsert_document(conn, source="a.md", title="A", sha256="x", mime="text/markdown",
                                  added_by="u", chunk_count=1)
        cid = one.insert_chunk(conn, document_id=doc, ord=0, text="hello", page=None, heading=None, sha256="h")
        one.set_index_state(conn, 1, "dense-1.faiss", "sparse-1")
    assert one.document("a.md").id == doc and two.document("a.md") is None
    assert two.chunk_rows([cid]) == {} and one.chunk_rows([cid])[cid].text == "hello"
    assert one.index_state().generation == 1 and two.index_state().generation == 0
    assert list_scopes(db) == ["guild:1"]
    with one.transaction() as conn:
        one.delete_document(conn, doc)
    assert one.counts() == (0, 0)  # chunks went with their document


def test_table_created_by_the_bot_first(tmp_path: Path) -> None:
    """The bot's store creates schema_migrations with an applied_at column; both must coexist."""
    db = tmp_path / "ragcord.db"
    conn = connect(db)
    try:
        conn.execute(
            "CREATE TABLE schema_migrations (component TEXT NOT NULL, version INTEGER NOT NULL,"
            " applied_at TEXT NOT NULL, PRIMARY KEY (component, version))"
        )
        conn.execute("INSERT INTO schema_migrations VALUES ('bot', 1, 'then')")
        assert migrate(conn) == [1, 2]
        assert conn.execute(
            "SELECT applied_at FROM schema_migrations WHERE component = 'retrieval'"
        ).fetchone()[0]
    finally:
        conn.close()
