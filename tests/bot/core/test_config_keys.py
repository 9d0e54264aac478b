"""Every README configuration row is settable from TOML and from the environment; old names map."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from bot.core.config import LEGACY_KEYS, ConfigError, Settings, load_settings

README = Path(__file__).resolve().parents[3] / "README.md"
# values that a default-derived change would not make valid (choices, paths, lists, text)
SPECIAL: dict[str, tuple[str, str, Any]] = {  # key: (TOML literal, env text, expected value)
    "data_dir": ('"/tmp/rc-x"', "/tmp/rc-x", Path("/tmp/rc-x")),
    "database_url": ('"postgresql://u@db:5432/rc"', "postgresql://u@db:5432/rc", "postgresql://u@db:5432/rc"),
    "generation.backend": ('"local"', "local", "local"),
    "generation.local_model": ('"/m/x.gguf"', "/m/x.gguf", "/m/x.gguf"),
    "embedder.model": ('"/m/emb"', "/m/emb", "/m/emb"),
    "retrieval.fusion": ('"rrf"', "rrf", "rrf"),
    "limits.url_allowlist": ('["wiki.intra"]', '["wiki.intra"]', ("wiki.intra",)),
    "generation.local_device": ('"cpu"', "cpu", "cpu"),
    "discord.test_guild_id": ("123", "123", 123),
    "ops.log_format": ('"json"', "json", "json"),
    "ops.resync_every": ('"24h"', "24h", "24h"),
    "embedder.runtime": ('"torch"', "torch", "torch"),
    "retrieval.sentence_vectors": ('"pooled"', "pooled", "pooled"),
    "discord.shard_count": ("2", "2", 2),
    "discord.shard_ids": ('"0,1"', "0,1", [0, 1]),
}
# keys that are only valid beside another one: key -> (companion key, its value)
COMPANION: dict[str, tuple[str, int]] = {"discord.shard_ids": ("discord.shard_count", 2)}


def readme_keys() -> list[str]:
    """First-column keys of the README's two settings tables."""
    keys: list[str] = []
    in_table = False
    for line in README.read_text().splitlines():
        if line.startswith("| setting | default |"):
            in_table = True
        elif not line.startswith("|"):
            in_table = False
        elif in_table and line.startswith("| `"):
            keys += re.findall(r"`([a-z_.]+)`", line.split("|")[1])
    return list(dict.fromkeys(keys))


def value_of(settings: Settings, key: str) -> Any:
    node: Any = settings
    for part in key.split("."):
        node = getattr(node, part)
    return node


def changed(key: str) -> tuple[str, str, Any]:
    if key in SPECIAL:
        return SPECIAL[key]
    default = value_of(Settings(), key)
    if default is None or isinstance(default, str):
        return '"x-1"', "x-1", "x-1"
    assert isinstance(default, (int, float)) and not isinstance(default, bool), f"add {key} to SPECIAL"
    new = default + 1 if isinstance(default, int) else round(default + 0.05, 4)
    return str(new), str(new), new


def plain(value: Any) -> Any:
    return value.get_secret_value() if hasattr(value, "get_secret_value") else value


def toml_for(key: str, literal: str) -> str:
    *section, leaf = key.split(".")
    return (f"[{'.'.join(section)}]\n" if section else "") + f"{leaf} = {literal}\n"


def test_readme_lists_the_nested_keys() -> None:
    keys = readme_keys()
    assert "answering.threshold" in keys and "limits.max_file_bytes" in keys and "retrieval.fusion" in keys
    assert not set(keys) & set(LEGACY_KEYS)  # the table names new keys; old names sit in their own column


@pytest.fixture(autouse=True)
def _no_ragcord_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Defaults are the code's own, whatever RAGCORD_* the suite or the shell set."""
    import os

    for name in [n for n in os.environ if n.startswith("RAGCORD_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no ./ragcord.toml


@pytest.mark.parametrize("key", readme_keys())
def test_each_readme_key_is_read_from_toml_and_env(key: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    literal, env_text, expected = changed(key)
    assert value_of(Settings(), key) != expected
    cfg = tmp_path / "c.toml"
    cfg.write_text(toml_for(key, literal))
    assert value_of(load_settings(cfg), key) == expected
    monkeypatch.setenv("RAGCORD_" + key.replace(".", "__").upper(), env_text)
    assert value_of(load_settings(), key) == expected


@pytest.mark.parametrize(("old", "new"), sorted(LEGACY_KEYS.items()))
def test_old_flat_names_map_to_the_nested_key(old: str, new: str, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    literal, env_text, expected = changed(new)
    cfg = tmp_path / "old.toml"
    companion = COMPANION.get(new)
    cfg.write_text(f"{old} = {literal}\n" + (toml_for(companion[0], str(companion[1])) if companion else ""))
    if companion:
        monkeypatch.setenv("RAGCORD_" + companion[0].replace(".", "__").upper(), str(companion[1]))
    assert plain(value_of(load_settings(cfg), new)) == expected
    monkeypatch.setenv(f"RAGCORD_{old.upper()}", env_text)
    assert plain(value_of(load_settings(), new)) == expected


def test_old_and_new_name_together_is_one_line_naming_the_new_key(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "both.toml"
    cfg.write_text("threshold = 0.4\n[answering]\nthreshold = 0.5\n")
    with pytest.raises(ConfigError, match=r"threshold is the old name of answering\.threshold") as info:
        load_settings(cfg)
    assert "\n" not in str(info.value)
    monkeypatch.setenv("RAGCORD_TOP_K", "3")
    monkeypatch.setenv("RAGCORD_ANSWERING__TOP_K", "5")
    with pytest.raises(ConfigError, match="set only RAGCORD_ANSWERING__TOP_K"):
        load_settings()


def test_nested_precedence_override_env_toml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('[retrieval]\nfusion = "rrf"\ndense_weight = 0.2\nhnsw_m = 16\n[limits]\nmax_pdf_pages = 9\n')
    monkeypatch.setenv("RAGCORD_RETRIEVAL__DENSE_WEIGHT", "0.3")
    monkeypatch.setenv("RAGCORD_LIMITS__MAX_PDF_PAGES", "8")
    s = load_settings(cfg, **{"limits.max_pdf_pages": 7})
    assert (s.retrieval.fusion, s.retrieval.hnsw_m) == ("rrf", 16)  # the file
    assert s.retrieval.dense_weight == 0.3  # environment beats the file
    assert s.limits.max_pdf_pages == 7  # override beats both
    assert s.retrieval.limits is s.limits  # one object: what the knowledge bases enforce


@pytest.mark.parametrize(("content", "message"), [
    ('[retrieval]\nfusion = "magic"\n', "invalid setting retrieval"),
    ("[limits]\nmax_pdf_pages = 0\n", "invalid setting limits"),
    ("[limits]\nmax_file_bytes = 100\n", "max_file_bytes >= 1024"),
    ("[retrieval.limits]\nmax_pdf_pages = 3\n", "[limits] section"),
])
def test_bad_nested_values_are_one_line(tmp_path: Path, content: str, message: str) -> None:
    cfg = tmp_path / "bad.toml"
    cfg.write_text(content)
    with pytest.raises(ConfigError) as info:
        load_settings(cfg)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_updated_copy_revalidates_and_keeps_limits_shared() -> None:
    s = load_settings(generator="extractive")
    t = s.updated(**{"limits.max_documents": 0, "answering.threshold": 0.2})
    assert (t.limits.max_documents, t.answering.threshold, t.generation.backend) == (0, 0.2, "extractive")
    assert t.retrieval.limits is t.limits and s.limits.max_documents == 1000
    with pytest.raises(ValueError):
        s.updated(**{"answering.threshold": 3})
