"""docker-compose.yml, the Dockerfiles and .env.example can't be run here (no Docker engine), so their
structure is checked: what a `docker compose up` relies on must be present and consistent."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from bot.config import Settings

PROJECT = Path(__file__).resolve().parents[2]


def _compose() -> dict:
    return yaml.safe_load((PROJECT / "docker-compose.yml").read_text(encoding="utf-8"))


def test_compose_has_database_nlu_and_bot_with_healthchecks():
    services = _compose()["services"]
    assert set(services) == {"postgres", "nlu", "bot"}
    for name, service in services.items():
        assert service.get("healthcheck", {}).get("test"), name
    depends = services["bot"]["depends_on"]
    assert depends == {"postgres": {"condition": "service_healthy"}, "nlu": {"condition": "service_healthy"}}


def test_bot_is_wired_to_postgres_and_the_nlu_service():
    bot = _compose()["services"]["bot"]["environment"]
    assert bot["DATABASE_URL"].startswith("postgresql+asyncpg://") and "@postgres:5432/" in bot["DATABASE_URL"]
    assert bot["NLU_URL"] == "http://nlu:5005"


def test_nlu_server_is_not_published_and_requires_a_token():
    nlu = _compose()["services"]["nlu"]
    assert "ports" not in nlu  # reachable only inside the compose network
    dockerfile = (PROJECT / "nlu" / "Dockerfile").read_text(encoding="utf-8")
    assert "--auth-token" in dockerfile and "--enable-api" in dockerfile


def test_dockerfiles_copy_only_what_exists():
    for context in (PROJECT, PROJECT / "nlu"):
        dockerfile = (context / "Dockerfile").read_text(encoding="utf-8")
        for line in dockerfile.splitlines():
            if line.startswith("COPY"):
                for source in line.split()[1:-1]:
                    assert (context / source).exists(), f"{context / 'Dockerfile'}: COPY {source}"


def test_env_example_documents_every_setting():
    documented = set(re.findall(r"^([A-Z_]+)=", (PROJECT / ".env.example").read_text(encoding="utf-8"), re.M))
    settings = {name.upper() for name in Settings.model_fields}
    assert settings <= documented, settings - documented
