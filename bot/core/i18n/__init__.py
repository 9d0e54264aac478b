"""The bot's own messages in the asker's language: one TOML file per language in this folder.

`message(key, language)` falls back to English for a language without a file or a key; the
language of a question comes from `retrieval.textlang.detect`.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import tomllib

from retrieval.textlang import detect

_HERE = Path(__file__).resolve().parent
DEFAULT = "en"


@lru_cache(maxsize=32)
def catalogue(language: str) -> dict[str, str]:
    path = _HERE / f"{language}.toml"
    if not language.isalpha() or not path.is_file():
        return {}
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return {str(k): str(v) for k, v in data.items()}


def languages() -> list[str]:
    return sorted(p.stem for p in _HERE.glob("*.toml"))


def message(key: str, language: str = DEFAULT) -> str:
    found = catalogue(language).get(key)
    return found if found is not None else catalogue(DEFAULT)[key]


def for_text(key: str, text: str) -> str:
    """`key` in the language `text` is written in."""
    return message(key, detect(text))
