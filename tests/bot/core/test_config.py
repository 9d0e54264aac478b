from pathlib import Path

import pytest

from bot.core.config import ConfigError, load_settings


def test_toml_env_and_overrides_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "ragcord.toml"
    cfg.write_text('threshold = 0.5\ngenerator = "extractive"\ntop_k = 3\n')
    monkeypatch.setenv("RAGCORD_TOP_K", "7")
    s = load_settings(cfg, data_dir=tmp_path / "d")
    assert s.answering.threshold == 0.5  # from the file
    assert s.generation.backend == "extractive"
    assert s.answering.top_k == 7  # environment beats the file
    assert s.db_path == tmp_path / "d" / "ragcord.db"  # override beats both


def test_config_from_env_var_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text("max_new_tokens = 64\n")
    monkeypatch.setenv("RAGCORD_CONFIG", str(cfg))
    assert load_settings().generation.max_new_tokens == 64


@pytest.mark.parametrize(
    ("content", "message"),
    [("threshold = 3\n", "invalid setting answering.threshold"),
     ('generator = "gpt"\n', "invalid setting generation.backend"),
     ("threshold = = 1\n", "could not read config")],
)
def test_bad_config_is_one_line(tmp_path: Path, content: str, message: str) -> None:
    cfg = tmp_path / "bad.toml"
    cfg.write_text(content)
    with pytest.raises(ConfigError) as info:
        load_settings(cfg)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_settings(tmp_path / "nope.toml")


def test_secrets_are_not_printed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAGCORD_DISCORD_TOKEN", "super-secret-token")
    s = load_settings()
    assert "super-secret-token" not in repr(s)
    assert s.discord.token is not None and s.discord.token.get_secret_value() == "super-secret-token"
