"""The deployment files: the Docker image, the compose file, the Procfile.

The static checks run everywhere: every setting the files pass is one the tracker reads, the
image runs as a non-root user with its data on a volume, and the optional dependencies it
installs exist. Where a Docker engine answers, the image is built and the compose stack (the
worker with PostgreSQL) is started, and the worker's health check must answer 200; elsewhere
that test is skipped with the reason (``docker info`` fails without an engine).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
import tomllib
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "Dockerfile"
COMPOSE = ROOT / "compose.yaml"


def _tracker_source() -> str:
    return "\n".join(path.read_text(encoding="utf-8") for path in (ROOT / "tracker").rglob("*.py"))


def _env_names(text: str) -> set[str]:
    return set(re.findall(r"\b(TRACKER_[A-Z_]+|TELEGRAM_[A-Z_]+)\b", text))


def test_every_setting_the_deployment_files_pass_is_read_by_the_tracker() -> None:
    source = _tracker_source()
    names = _env_names(DOCKERFILE.read_text(encoding="utf-8")) | _env_names(
        COMPOSE.read_text(encoding="utf-8")
    )
    assert {"TRACKER_DB", "TRACKER_ARCHIVE", "TRACKER_ARCHIVE_REMOTE"} <= names
    unknown = sorted(name for name in names if f'"{name}"' not in source)
    assert unknown == [], f"settings no module of tracker/ reads: {unknown}"


def test_the_image_runs_the_worker_as_a_non_root_user_with_its_data_on_a_volume() -> None:
    lines = [
        line.strip()
        for line in DOCKERFILE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    base = next(line for line in lines if line.startswith("FROM "))
    assert re.fullmatch(r"FROM python:3\.\d+-slim", base), base
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users and users[-1] not in {"root", "0"}
    assert any(line.startswith("VOLUME") and "/data" in line for line in lines)
    assert any(line.startswith("HEALTHCHECK") for line in lines)
    cmd = [line for line in lines if line.startswith("CMD ")][-1]  # not HEALTHCHECK's
    command = " ".join(json.loads(cmd.removeprefix("CMD ")))
    assert command.startswith("tracker run ") and "--health-port 8080" in command
    # The archive and the SQLite state are on the volume, not in the image's layers.
    assert "TRACKER_ARCHIVE=/data/" in DOCKERFILE.read_text(encoding="utf-8")
    assert "sqlite:////data/" in DOCKERFILE.read_text(encoding="utf-8")


def test_the_image_installs_the_project_with_declared_extras_only() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    installs = re.findall(r"pip install \"?\.(?:\[([a-z,-]+)\])?\"?", text)
    assert installs, "the Dockerfile installs the project"
    extras = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"].get(
            "optional-dependencies", {}
        )
    )
    wanted = {extra for group in installs for extra in group.split(",") if extra}
    assert wanted <= extras
    # The PostgreSQL driver the compose file's TRACKER_DB needs is installed with the project.
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "dependencies"
    ]
    assert any(item.startswith("psycopg") for item in dependencies) or any(
        item.startswith("psycopg")
        for extra in wanted
        for item in tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"][
            "optional-dependencies"
        ][extra]
    )


def test_the_procfile_runs_the_worker_and_the_bot() -> None:
    lines = (ROOT / "Procfile").read_text(encoding="utf-8").strip().splitlines()
    assert lines == ["worker: tracker run", "bot: tracker bot"]


def _docker_engine() -> str | None:
    """Why Docker cannot be used here, or None when an engine answers."""
    if shutil.which("docker") is None:
        return "the docker command is not installed"
    done = subprocess.run(
        ["docker", "info", "--format", "{{json .ServerVersion}}"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    if done.returncode != 0:
        return f"no Docker engine answers `docker info`: {done.stderr.strip()[:200]}"
    return None


@pytest.mark.skipif(_docker_engine() is not None, reason=str(_docker_engine()))
def test_the_compose_stack_builds_starts_and_answers_healthy(tmp_path: Path) -> None:
    project = f"policy-tracker-test-{int(time.time())}"
    compose = ["docker", "compose", "-f", str(COMPOSE), "-p", project]
    try:
        subprocess.run([*compose, "up", "-d", "--build"], cwd=ROOT, check=True, timeout=1200)
        deadline = time.monotonic() + 180
        status: int | None = None
        body: dict[str, object] = {}
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen("http://127.0.0.1:8080/healthz", timeout=5) as answer:
                    status, body = answer.status, json.loads(answer.read())
                    break
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(2)
        assert status == 200, body
        done = subprocess.run(
            [*compose, "exec", "-T", "worker", "tracker", "status", "--json"],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode in (0, 1), done.stderr  # 1: documents need a maintainer
        assert json.loads(done.stdout)["documents"]
    finally:
        subprocess.run([*compose, "down", "-v"], cwd=ROOT, timeout=300, check=False)
