"""`shard_count` / `shard_ids`: read from the environment like every setting, checked in one line, and
turned into an AutoShardedBot (or the plain client when unset)."""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from discord.ext import commands

from bot.core.config import ConfigError, Settings, load_settings
from bot.frontends.discord.client import RagcordBot, ShardedRagcordBot, build_bot


@pytest.mark.parametrize(("env", "count", "ids"), [
    ({}, None, None),
    ({"RAGCORD_DISCORD__SHARD_COUNT": "4"}, 4, None),
    ({"RAGCORD_DISCORD__SHARD_COUNT": "4", "RAGCORD_DISCORD__SHARD_IDS": "[3, 1]"}, 4, [1, 3]),
    ({"RAGCORD_DISCORD__SHARD_COUNT": "2", "RAGCORD_DISCORD__SHARD_IDS": "1"}, 2, [1]),
    ({"RAGCORD_SHARD_COUNT": "3", "RAGCORD_SHARD_IDS": "0,2"}, 3, [0, 2]),
])
def test_shards_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, env: dict[str, str],
                                     count: int | None, ids: list[int] | None) -> None:
    monkeypatch.chdir(tmp_path)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    d = load_settings().discord
    assert (d.shard_count, d.shard_ids) == (count, ids)


def test_shards_from_the_config_file(tmp_path: Path) -> None:
    cfg = tmp_path / "ragcord.toml"
    cfg.write_text("[discord]\nshard_count = 2\nshard_ids = [1]\n")
    d = load_settings(cfg).discord
    assert (d.shard_count, d.shard_ids) == (2, [1])


@pytest.mark.parametrize(("env", "message"), [
    ({"RAGCORD_DISCORD__SHARD_IDS": "0"}, "shard_ids needs shard_count"),
    ({"RAGCORD_DISCORD__SHARD_COUNT": "2", "RAGCORD_DISCORD__SHARD_IDS": "2"}, "from 0 to 1"),
    ({"RAGCORD_DISCORD__SHARD_COUNT": "2", "RAGCORD_DISCORD__SHARD_IDS": "1,1"}, "distinct"),
    ({"RAGCORD_DISCORD__SHARD_COUNT": "0"}, "shard_count"),
])
def test_bad_shards_are_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, env: dict[str, str],
                                 message: str) -> None:
    monkeypatch.chdir(tmp_path)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ConfigError) as exc:
        load_settings()
    assert message in str(exc.value) and "\n" not in str(exc.value)


def _assistant() -> SimpleNamespace:
    store = SimpleNamespace(answers=None, conversations=None, tutoring=None)
    embedder = SimpleNamespace(similarity=None)
    return SimpleNamespace(store=store, summarize=None, search=None, embedder=embedder,
                           embedder_for=lambda scope: embedder)


async def test_the_plain_client_unless_shards_are_set(tmp_path: Path) -> None:
    plain = build_bot(Settings(data_dir=tmp_path), _assistant())  # type: ignore[arg-type]
    assert type(plain) is RagcordBot and not isinstance(plain, commands.AutoShardedBot)
    assert plain.shard_count is None


async def test_shard_settings_make_an_auto_sharded_bot(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path).updated(**{"discord.shard_count": 2, "discord.shard_ids": [1]})
    bot = build_bot(settings, _assistant())  # type: ignore[arg-type]
    assert isinstance(bot, ShardedRagcordBot) and isinstance(bot, commands.AutoShardedBot)
    assert isinstance(bot, RagcordBot)  # the cogs' Host is the same bot
    assert (bot.shard_count, bot.shard_ids) == (2, [1])
    every = build_bot(Settings(data_dir=tmp_path).updated(**{"discord.shard_count": 3}), _assistant())  # type: ignore[arg-type]
    assert (every.shard_count, getattr(every, "shard_ids", "?")) == (3, None)  # this process runs all three
