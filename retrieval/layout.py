"""Where a data dir keeps retrieval's files: the DB file, each scope's index folder and generations.

    ragcord.db                                  (shared with the bot's store)
    indexes/<safe scope>/dense-<gen>.faiss
    indexes/<safe scope>/sparse-<gen>/
    indexes/<safe scope>/.lock                  (fcntl: one writer per scope)
"""
from __future__ import annotations

import re
from pathlib import Path

DB_FILENAME = "ragcord.db"
INDEXES = "indexes"  # the folder of every scope's index folder
GENERATION_FILE = re.compile(r"^(dense-(\d+)\.faiss|sparse-(\d+))$")
_SCOPE = re.compile(r"^[A-Za-z0-9:_.\-]{1,128}$")


def validate_scope(scope: str) -> str:
    if not isinstance(scope, str) or not _SCOPE.match(scope):
        raise ValueError(f"invalid scope {scope!r}: use letters, digits and : _ . - (e.g. 'guild:123')")
    return scope


def safe_scope_name(scope: str) -> str:
    """Injective, file-system-safe folder name: 'guild:123' → 'guild_3a123'."""
    validate_scope(scope)
    out = []
    for i, ch in enumerate(scope):
        if ch.isascii() and (ch.isalnum() or ch == "-" or (ch == "." and i > 0)):
            out.append(ch)
        else:
            out.append(f"_{ord(ch):02x}")
    return "".join(out)


def index_dir(data_dir: str | Path, scope: str) -> Path:
    """The folder holding a scope's index generations and its writer lock."""
    return Path(data_dir) / INDEXES / safe_scope_name(scope)


def lock_path(data_dir: str | Path, scope: str) -> Path:
    return index_dir(data_dir, scope) / ".lock"


def generation_of(name: str) -> int | None:
    """The generation a file or folder name in an index folder belongs to (None: not a generation)."""
    match = GENERATION_FILE.match(name)
    return int(match.group(2) or match.group(3)) if match else None
