"""Which embedder built a knowledge base's vectors: one small file beside its index files.

Vectors of two embedders do not compare (all-MiniLM-L6-v2 and multilingual-e5-small are both
384-dimensional, so FAISS would not notice): an index opened with another embedder than the
one that built it is refused with one line, never silently mixed.
"""
from __future__ import annotations

from pathlib import Path

from .errors import EmbedderMismatch
from .fsutil import atomic_write_bytes

FILE = ".embedder"  # a dot file: not an index generation, never cleaned up with them


def name_of(embedder: object) -> str:
    return str(getattr(embedder, "model_name", "") or "")


def record(index_dir: Path, embedder: object) -> None:
    # the model's short name, not its path: a venv rebuilt elsewhere holds the same model
    atomic_write_bytes(index_dir / FILE, label_of(embedder).encode("utf-8"))


def label_of(embedder: object) -> str:
    """What a record holds for `embedder`: its model's short name."""
    return _label(name_of(embedder))


def recorded(index_dir: Path) -> str | None:
    """The short name of the embedder that built the index (None: nothing recorded)."""
    try:
        return (index_dir / FILE).read_text(encoding="utf-8").strip() or None
    except (FileNotFoundError, NotADirectoryError):
        return None


def restore(index_dir: Path, name: str | None) -> None:
    """Put back what `recorded` read before a failed write (None: no record)."""
    if name is None:
        (index_dir / FILE).unlink(missing_ok=True)
    else:
        atomic_write_bytes(index_dir / FILE, name.encode("utf-8"))


def check(index_dir: Path, scope: str, embedder: object) -> None:
    """Raise EmbedderMismatch when the recorded embedder is not `embedder` (none recorded: fine)."""
    path = index_dir / FILE
    if not path.is_file():
        return  # empty, or written before indexes recorded their embedder
    check_name(scope, path.read_text(encoding="utf-8").strip(), embedder)


def check_name(scope: str, built: str | None, embedder: object) -> None:
    """Raise EmbedderMismatch when `built` (a recorded name; None or '': nothing recorded) is not `embedder`."""
    wanted = name_of(embedder)
    if built and _label(built) != _label(wanted):
        raise EmbedderMismatch(
            f"the index of scope {scope} was built with embedder {_label(built)!r}, not the configured "
            f"{_label(wanted)!r}: set [embedder] model back, or remove the scope's documents and "
            "ingest them again"
        )


def _label(name: str) -> str:
    """A model's short name: its folder's name, with the parent's when the folder is just "model"."""
    path = Path(name)
    return f"{path.parent.name}/{path.name}" if path.name in ("model", "models") and path.parent.name else path.name
