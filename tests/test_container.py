"""The container files, checked without docker: what an image build and a user rely on."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
DOCKERFILE = (REPO / "Dockerfile").read_text()


def _line_of(text: str) -> int:
    return next(n for n, line in enumerate(DOCKERFILE.splitlines()) if line.startswith(text))


def test_dependencies_are_installed_before_the_code_is_copied() -> None:
    assert _line_of('RUN python -c "import tomllib') < _line_of("COPY bot ")
    assert _line_of("COPY pyproject.toml") < _line_of("COPY bot ")


def test_the_dependency_layer_reads_pyproject_alone() -> None:
    script = DOCKERFILE.split('RUN python -c "', 1)[1].split('" >', 1)[0].replace("\\\n", "")
    listed = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split()
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert listed == project["dependencies"] + project["optional-dependencies"]["postgres"]


def test_the_health_check_runs_policybot_health() -> None:
    assert 'CMD ["policybot", "health"]' in DOCKERFILE
    assert "POLICYBOT_HEARTBEAT_FILE=/data/" in DOCKERFILE


def test_the_license_file_matches_pyproject() -> None:
    declared = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["license"]
    assert declared == "MIT"
    assert (REPO / "LICENSE").read_text().startswith("MIT License\n")


def test_the_compose_example_mounts_a_feed_list_and_the_data_volume() -> None:
    compose = (REPO / "compose.yaml").read_text()
    assert "./feeds.yaml:/app/feeds.yaml:ro" in compose
    assert "policybot-data:/data" in compose
    assert "policybot sync-commands" in compose


def test_the_scaled_compose_example_runs_one_bot_and_two_pollers_on_postgresql() -> None:
    compose = yaml.safe_load((REPO / "deploy" / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"db", "bot", "poller"}
    assert "pg_isready" in " ".join(services["db"]["healthcheck"]["test"])
    assert services["bot"]["command"] == ["policybot", "run", "--role", "bot"]
    assert services["poller"]["command"] == ["policybot", "run", "--role", "poller"]
    assert services["poller"]["deploy"]["replicas"] == 2
    for name in ("bot", "poller"):
        service = services[name]
        assert service["build"] == ".."  # the one image, built from the repository's Dockerfile
        assert service["depends_on"]["db"]["condition"] == "service_healthy"
        assert service["environment"]["POLICYBOT_DATABASE_URL"].startswith("postgresql://")
    assert "DISCORD_TOKEN" in services["bot"]["environment"]
    assert "DISCORD_TOKEN" not in services["poller"]["environment"]
