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
    services = {name: service for name, service in _compose()["services"].items() if not service.get("profiles")}
    assert set(services) == {"postgres", "nlu", "bot"}
    for name, service in services.items():
        assert service.get("healthcheck", {}).get("test"), name
    depends = services["bot"]["depends_on"]
    # The bot works without the NLU (lexical matcher), so it only waits for the NLU container to start.
    assert depends == {"postgres": {"condition": "service_healthy"}, "nlu": {"condition": "service_started"}}


def test_webhook_profile_runs_replicas_behind_a_tls_proxy_that_exposes_only_the_webhook():
    services = _compose()["services"]
    replica, caddy = services["bot-webhook"], services["caddy"]
    assert replica["profiles"] == caddy["profiles"] == ["webhook"]
    assert "BOT_REPLICAS" in str(replica["deploy"]["replicas"]) and "ports" not in replica
    env = replica["environment"]
    assert env["WEBHOOK_URL"].startswith("https://") and "WEBHOOK_SECRET" in env
    assert env["DATABASE_URL"].startswith("postgresql+asyncpg://")  # shared state: PostgreSQL, never SQLite
    assert replica["healthcheck"]["test"] and "/readyz" in str(replica["healthcheck"]["test"])
    caddyfile = (PROJECT / "deploy" / "Caddyfile").read_text(encoding="utf-8")
    assert "bot-webhook 8080" in caddyfile and "respond 404" in caddyfile  # /metrics etc. are not public
    assert any("Caddyfile" in volume for volume in caddy["volumes"])


def test_bot_is_wired_to_postgres_and_the_nlu_service():
    bot = _compose()["services"]["bot"]["environment"]
    assert bot["DATABASE_URL"].startswith("postgresql+asyncpg://") and "@postgres:5432/" in bot["DATABASE_URL"]
    assert bot["NLU_URL"] == "http://nlu:5005"


def test_nlu_server_is_not_published_and_serves_only_through_the_gateway():
    nlu = _compose()["services"]["nlu"]
    assert "ports" not in nlu  # reachable only inside the compose network
    assert nlu["environment"]["NLU_TOKEN"].startswith("${NLU_TOKEN:?")
    dockerfile = (PROJECT / "nlu" / "Dockerfile").read_text(encoding="utf-8")
    cmd = next(line for line in dockerfile.splitlines() if line.startswith("CMD"))
    assert '"nlu.serving"' in cmd and "rasa run" not in dockerfile  # Rasa only behind the gateway, on 127.0.0.1
    assert "--enable-api" not in dockerfile


def _builds() -> list[tuple[str, Path, Path]]:
    builds = []
    for name, service in _compose()["services"].items():
        build = service.get("build")
        if build is None:
            continue
        context = PROJECT / (build if isinstance(build, str) else build.get("context", "."))
        dockerfile = context / (build.get("dockerfile", "Dockerfile") if isinstance(build, dict) else "Dockerfile")
        builds.append((name, context, dockerfile))
    return builds


def test_dockerfiles_copy_only_what_exists():
    assert {name for name, _, _ in _builds()} >= {"bot", "nlu"}
    for _, context, dockerfile in _builds():
        for line in dockerfile.read_text(encoding="utf-8").splitlines():
            if line.startswith("COPY") and "--from" not in line:
                for source in line.split()[1:-1]:
                    assert (context / source).exists(), f"{dockerfile}: COPY {source}"


def test_no_build_context_carries_env_data_or_venvs():
    for name, context, _ in _builds():
        ignore = context / ".dockerignore"
        assert ignore.is_file(), f"{name}: no .dockerignore in its build context {context}"
        patterns = set(ignore.read_text(encoding="utf-8").split())
        assert {".env", "data/", ".venv*", ".git/", ".run/", "nlu/models/"} <= patterns, name


def test_services_stop_gracefully_and_rotate_their_logs():
    for name, service in _compose()["services"].items():
        assert service.get("stop_grace_period"), name
        logging = service.get("logging") or {}
        assert logging.get("driver") == "json-file" and logging["options"].get("max-size"), name
        assert logging["options"].get("max-file"), name


def test_knowledge_edits_live_in_a_volume_shared_by_the_bot_and_the_nlu():
    compose = _compose()
    services = compose["services"]
    assert "knowledge" in compose["volumes"] and "nlu-models" in compose["volumes"]
    bot_mounts = [m.split(":") for m in services["bot"]["volumes"]]
    nlu_mounts = [m.split(":") for m in services["nlu"]["volumes"]]
    assert ["knowledge", services["bot"]["environment"]["KNOWLEDGE_DIR"]] in [m[:2] for m in bot_mounts]
    assert ["knowledge", "/app/knowledge/data"] in [m[:2] for m in nlu_mounts]  # the gateway's --knowledge
    assert any(m[0] == "nlu-models" for m in nlu_mounts)  # a retrained model survives a restart
    dockerfile = (PROJECT / "nlu" / "Dockerfile").read_text(encoding="utf-8")
    assert '"--knowledge", "knowledge/data"' in dockerfile and "WORKDIR /app" in dockerfile
    uids = [re.search(r"useradd --uid (\d+)", (PROJECT / path).read_text()).group(1) for path in ("Dockerfile", "nlu/Dockerfile")]
    assert uids[0] == uids[1]  # the same owner on the shared volume


def test_env_example_documents_every_setting():
    documented = set(re.findall(r"^([A-Z_]+)=", (PROJECT / ".env.example").read_text(encoding="utf-8"), re.M))
    settings = {name.upper() for name in Settings.model_fields}
    assert settings <= documented, settings - documented


def test_dockerignore_keeps_secrets_data_venvs_and_caches_out_of_the_image():
    ignored = set((PROJECT / ".dockerignore").read_text(encoding="utf-8").split())
    for pattern in (".env", "data/", ".venv*", "nlu/models/", ".git/", ".run/", "**/__pycache__/", ".rasa/"):
        assert pattern in ignored, pattern


def test_bot_image_does_not_copy_the_rasa_project_and_nothing_imports_it():
    dockerfile = (PROJECT / "Dockerfile").read_text(encoding="utf-8")
    assert not re.search(r"^COPY\s+nlu\b", dockerfile, re.M)
    for package in ("bot", "handlers", "knowledge"):
        for path in (PROJECT / package).rglob("*.py"):
            source = path.read_text(encoding="utf-8")
            assert not re.search(r"^\s*(from nlu\b|import nlu\b)", source, re.M), path


def test_tool_caches_are_ignored_by_git():
    assert ".rasa/" in (PROJECT / ".gitignore").read_text(encoding="utf-8").split()


def test_train_script_fails_on_a_failed_training_and_records_the_fingerprint_only_after_success():
    script = (PROJECT / "scripts" / "train.sh").read_text(encoding="utf-8")
    assert "set -euo pipefail" in script
    train = script.index("rasa train nlu")
    record = script.index('> nlu/models/current.fingerprint')
    assert script.index("rm -f nlu/models/current.fingerprint") < train < record
    train_command = script[train:script.index("\nfi", train)]
    assert "|| true" not in train_command and "exit 1" in train_command


def test_model_fingerprint_covers_the_generator_and_the_pipeline():
    from nlu.build import NLU_DIR, model_inputs

    inputs = set(model_inputs())
    assert {NLU_DIR / "build.py", NLU_DIR / "config.yml"} <= inputs
    assert all(path in inputs for path in NLU_DIR.glob("components/**/*.py"))
