"""The container images (deploy/docker/): hadolint-clean Dockerfiles, pinned bases, non-root,
health checks, sources that exist and are not excluded by .dockerignore, and per-image dependency
sets that are current and sufficient. No Docker engine runs here, so the images are not built;
what building would need is checked piece by piece instead."""

from __future__ import annotations

import fnmatch
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

DOCKER = ROOT / "deploy" / "docker"
DOCKERFILES = sorted(DOCKER.glob("Dockerfile.*"))
HADOLINT = ROOT / ".venv-tools" / "bin" / "hadolint"


def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    joined = re.sub(r"\\\n", " ", dockerfile.read_text())
    result = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            result.append((keyword.upper(), rest.strip()))
    return result


def test_there_is_one_image_per_process():
    assert [path.name for path in DOCKERFILES] == ["Dockerfile.actions", "Dockerfile.api", "Dockerfile.rasa"]


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda path: path.name)
def test_hadolint_finds_nothing(dockerfile):
    assert HADOLINT.exists(), "hadolint is missing: run `make tools` (it installs .venv-tools)"
    result = subprocess.run([str(HADOLINT), str(dockerfile)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda path: path.name)
def test_images_are_pinned_non_root_and_report_their_health(dockerfile):
    steps = instructions(dockerfile)
    bases = dict(
        re.match(r"(\w+)=(\S+)", args).groups() for kind, args in steps if kind == "ARG" and "=" in args
    )
    for kind, args in steps:
        if kind == "FROM":
            image = args.split()[0]
            image = bases.get(image.strip("${}"), image)
            # An exact release (python:3.11.7-slim-bookworm) or a digest; never a moving tag.
            assert re.fullmatch(r"[\w./-]+(:\d+\.\d+\.\d+[\w.-]*|@sha256:[0-9a-f]{64})", image), image
    users = [args for kind, args in steps if kind == "USER"]
    assert users and users[-1].isdigit() and int(users[-1]) != 0, "the last USER is a numeric non-root id"
    assert any(kind == "HEALTHCHECK" and "healthcheck.py" in args for kind, args in steps)
    assert any(kind in ("CMD", "ENTRYPOINT") for kind, _ in steps)


def dockerignore_patterns() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def ignored(relative: str, patterns: list[str]) -> bool:
    excluded = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!").removeprefix("**/")
        parts = relative.split("/")
        hit = any(fnmatch.fnmatch("/".join(parts[: i + 1]), pattern) for i in range(len(parts)))
        hit = hit or fnmatch.fnmatch(parts[-1], pattern)
        if hit:
            excluded = not negate
    return excluded


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda path: path.name)
def test_every_copied_source_exists_in_the_build_context(dockerfile):
    patterns = dockerignore_patterns()
    for kind, args in instructions(dockerfile):
        if kind != "COPY" or args.startswith("--from"):
            continue
        sources = args.split()[:-1]
        for source in sources:
            assert (ROOT / source).exists(), f"{dockerfile.name}: COPY {source}: no such file"
            assert not ignored(source, patterns), (
                f"{dockerfile.name}: COPY {source} is excluded by .dockerignore"
            )


def test_the_build_context_leaves_out_secrets_and_local_state():
    patterns = dockerignore_patterns()
    for path in (
        ".env",
        "deploy/compose.env",
        ".git/config",
        ".venv/bin/python",
        "var/app.db",
        "models/bankbot-x.tar.gz",
        "api/__pycache__/main.cpython-311.pyc",
    ):
        assert ignored(path, patterns), path
    assert not ignored(".env.example", patterns)


def test_the_per_image_dependency_sets_are_current_and_use_the_lock_pins():
    result = subprocess.run(
        [sys.executable, "-m", "deploy.docker.sublock", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    lock = {line.strip() for line in (ROOT / "requirements" / "lock.txt").read_text().splitlines()}
    for image in ("rasa", "api", "actions"):
        pins = [
            line for line in (DOCKER / f"requirements-{image}.txt").read_text().splitlines() if "==" in line
        ]
        assert pins and set(pins) <= lock, image
    api = (DOCKER / "requirements-api.txt").read_text().lower()
    assert "rasa" not in api and "tensorflow" not in api, "the API image carries neither Rasa nor TensorFlow"
    actions = (DOCKER / "requirements-actions.txt").read_text().lower()
    assert "rasa-sdk==" in actions and "rasa==" not in actions and "tensorflow" not in actions


@pytest.mark.parametrize("image", ["api", "actions"])
def test_the_process_runs_with_only_its_image_dependencies(image):
    """The API (app, migrations, consumer, purges) and the action server import and start with
    every other installed package made absent."""
    result = subprocess.run(
        [sys.executable, "-W", "ignore", str(ROOT / "tests" / "deploy" / "image_guard.py"), image],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "kept out:" in result.stdout
    # Every package of ours that the process imported is copied into its image.
    own = next(line for line in result.stdout.splitlines() if line.startswith("own: "))[len("own: ") :].split(
        ", "
    )
    copied = {
        source.split("/")[0]
        for kind, args in instructions(DOCKER / f"Dockerfile.{image}")
        if kind == "COPY" and not args.startswith("--from")
        for source in args.split()[:-1]
    }
    assert set(own) <= copied, f"Dockerfile.{image} does not copy {set(own) - copied}"
