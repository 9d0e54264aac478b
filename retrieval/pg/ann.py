"""Nearest-neighbour search over a scope's chunk or sentence vectors in pgvector.

A scope below `ann_threshold` vectors is searched exactly (a scan of its rows through the
scope index, as FAISS stays flat below the same threshold). At or above it the scope gets a
partial HNSW index of its own over `embedding::vector(dim)` (inner product: the vectors are
normalised, so it ranks as cosine) and queries use it with `hnsw.ef_search` raised to at least
k (and sorting disabled for that one query, so the planner takes the index). A partial index per scope means HNSW never returns another scope's rows to filter away, so
a small guild beside a huge global scope still gets its k neighbours.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import psycopg
from psycopg import sql

from .connection import Vector

HNSW_EF_CONSTRUCTION = 128  # build-time candidate list (pgvector's default is 64)
TABLES = {"chunks": ("kb_chunks", "id"), "sentences": ("kb_sentences", "chunk_id")}


@dataclass(frozen=True)
class AnnSettings:
    threshold: int  # vectors from which a scope is searched through HNSW
    m: int
    ef_search: int


def index_name(table: str, scope: str, dim: int) -> str:
    digest = hashlib.sha256(scope.encode("utf-8")).hexdigest()[:16]
    return f"{table}_hnsw_{digest}_{dim}"


def ensure_hnsw(conn: psycopg.Connection, kind: str, scope: str, dim: int, settings: AnnSettings) -> bool:
    """Create the scope's partial HNSW index on `kind` ("chunks"/"sentences") if missing; whether
    it was created now."""
    table, _ = TABLES[kind]
    name = index_name(table, scope, dim)
    exists = conn.execute("SELECT 1 FROM pg_class WHERE relname = %s AND relkind = 'i'", (name,)).fetchone()
    if exists:
        return False
    conn.execute(sql.SQL(
        "CREATE INDEX {name} ON {table} USING hnsw ((embedding::vector({dim})) vector_ip_ops)"
        " WITH (m = {m}, ef_construction = {ef}) WHERE scope = {scope} AND dim = {dim}").format(
            name=sql.Identifier(name), table=sql.Identifier(table), dim=sql.Literal(dim),
            m=sql.Literal(settings.m), ef=sql.Literal(max(HNSW_EF_CONSTRUCTION, 2 * settings.m)),
            scope=sql.Literal(scope)))
    return True


def nearest(conn: psycopg.Connection, kind: str, scope: str, query: np.ndarray, k: int, *, count: int,
            settings: AnnSettings) -> list[tuple[int, int, float]]:
    """The k nearest rows of the scope as (chunk id, unit or 0, cosine), best first."""
    if k <= 0 or count == 0:
        return []
    table, key = TABLES[kind]
    unit = sql.SQL("unit") if kind == "sentences" else sql.SQL("0")
    vec = Vector(query)
    dim = len(vec.values)
    if count >= settings.threshold:
        conn.execute(sql.SQL("SET LOCAL hnsw.ef_search = {}").format(sql.Literal(max(settings.ef_search, k))))
        conn.execute("SET LOCAL enable_sort = off")  # the planner may not scan-and-sort a large scope instead
        distance = sql.SQL("(embedding::vector({dim})) <#> %b").format(dim=sql.Literal(dim))
        query_sql = sql.SQL(
            "SELECT {key}, {unit}, {distance} FROM {table} WHERE scope = {scope} AND dim = {dim}"
            " ORDER BY {distance} LIMIT {k}").format(
                key=sql.Identifier(key), unit=unit, distance=distance, table=sql.Identifier(table),
                scope=sql.Literal(scope), dim=sql.Literal(dim), k=sql.Literal(k))
        rows = conn.execute(query_sql, (vec, vec)).fetchall()
        conn.execute("SET LOCAL enable_sort = on")
    else:  # exact: the distance is not the indexed expression, so no HNSW index can answer it
        query_sql = sql.SQL(
            "SELECT {key}, {unit}, embedding <#> %b AS distance FROM {table} WHERE scope = %s"
            " ORDER BY distance, {key} LIMIT {k}").format(
                key=sql.Identifier(key), unit=unit, table=sql.Identifier(table), k=sql.Literal(k))
        rows = conn.execute(query_sql, (vec, scope)).fetchall()
    return [(int(r[0]), int(r[1]), -float(r[2])) for r in rows]
