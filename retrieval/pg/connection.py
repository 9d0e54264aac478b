"""Connections to one PostgreSQL server: a small pool per DSN, the schema migrated once, the
pgvector `vector` type adapted to float32 numpy arrays (binary on the wire)."""
from __future__ import annotations

import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import psycopg
from psycopg.adapt import Dumper, Loader
from psycopg.pq import Format, TransactionStatus
from psycopg.types import TypeInfo

from .schema import migrate

_HEADER = struct.Struct(">HH")  # pgvector's binary form: dimension, unused, then big-endian float4s


class Vector:
    """A vector parameter (`%b` in a query): float32 values sent in pgvector's binary form."""

    __slots__ = ("values",)

    def __init__(self, values: np.ndarray | list[float]) -> None:
        self.values = np.asarray(values, dtype=np.float32).reshape(-1)


class _VectorDumper(Dumper):
    format = Format.BINARY

    def dump(self, obj: Vector) -> bytes:
        return _HEADER.pack(len(obj.values), 0) + obj.values.astype(">f4").tobytes()


class _VectorBinaryLoader(Loader):
    format = Format.BINARY

    def load(self, data: bytes | bytearray | memoryview) -> np.ndarray:
        buf = bytes(data)
        dim = _HEADER.unpack_from(buf)[0]
        return np.frombuffer(buf, dtype=">f4", count=dim, offset=_HEADER.size).astype(np.float32)


class _VectorTextLoader(Loader):
    def load(self, data: bytes | bytearray | memoryview) -> np.ndarray:
        text = bytes(data).decode("ascii").strip("[]")
        return np.array(text.split(",") if text else [], dtype=np.float32)


def register_vector(conn: psycopg.Connection) -> None:
    """Teach `conn` the pgvector type: numpy arrays (as `Vector`) in, float32 arrays out."""
    info = TypeInfo.fetch(conn, "vector")
    if info is None:
        raise RuntimeError("the pgvector extension is not installed in this database")
    dumper = type("VectorDumper", (_VectorDumper,), {"oid": info.oid})
    conn.adapters.register_dumper(Vector, dumper)
    conn.adapters.register_loader(info.oid, _VectorBinaryLoader)
    conn.adapters.register_loader(info.oid, _VectorTextLoader)


class Connections:
    """Up to `keep` idle autocommit connections to `dsn`; the schema is migrated on first use."""

    def __init__(self, dsn: str, keep: int = 8) -> None:
        self.dsn = dsn
        self.keep = keep
        self._idle: list[psycopg.Connection] = []
        self._lock = threading.Lock()
        self._migrated = False

    def _open(self) -> psycopg.Connection:
        conn = psycopg.connect(self.dsn, autocommit=True)
        try:
            with self._lock:
                migrated = self._migrated
            if not migrated:
                migrate(conn)
                with self._lock:
                    self._migrated = True
            register_vector(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection]:
        """A connection of the pool (autocommit; use `conn.transaction()` for a transaction)."""
        with self._lock:
            conn = self._idle.pop() if self._idle else None
        if conn is None or conn.closed:
            conn = self._open()
        try:
            yield conn
        finally:
            healthy = not conn.closed and conn.info.transaction_status == TransactionStatus.IDLE
            with self._lock:
                if healthy and len(self._idle) < self.keep:
                    self._idle.append(conn)
                    conn = None
            if conn is not None:
                conn.close()

    @contextmanager
    def snapshot(self) -> Iterator[psycopg.Connection]:
        """A read-only REPEATABLE READ transaction: every read sees one committed state."""
        with self.connection() as conn, conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield conn

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()


_pools: dict[str, Connections] = {}
_pools_lock = threading.Lock()


def connections(dsn: str) -> Connections:
    """The process's pool for `dsn` (one per server and database)."""
    with _pools_lock:
        pool = _pools.get(dsn)
        if pool is None:
            pool = _pools[dsn] = Connections(dsn)
        return pool
