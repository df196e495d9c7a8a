"""deploy/compose.yml, the production topology on one host: every service built or pinned, health
checks that gate start-up order, secrets only from ignored env files, and the reverse proxy's
WebSocket upgrade. Where a Compose CLI is installed it validates the file too."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
import yaml

from tests.conftest import ROOT

DEPLOY = ROOT / "deploy"
COMPOSE = DEPLOY / "compose.yml"
SECRET_NAME = re.compile(r"(PASSWORD|SECRET|TOKEN|_KEY$|^KEY$|_PASS$)")
URL_WITH_PASSWORD = re.compile(r"://[^/@\s:]+:[^/@\s]+@")
EXPECTED = {
    "postgres",
    "redis",
    "rabbitmq",
    "migrate",
    "actions",
    "rasa-1",
    "rasa-2",
    "api-1",
    "api-2",
    "transcript-consumer",
    "proxy",
}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def one_shot(service: dict) -> bool:
    return str(service.get("restart", "")) == "no"


def test_the_whole_topology_is_there(compose):
    assert set(compose["services"]) == EXPECTED


def test_every_service_is_built_here_or_pinned_to_an_exact_release(compose):
    for name, service in compose["services"].items():
        assert "image" in service or "build" in service, name
        if "build" in service:
            assert (ROOT / service["build"]["dockerfile"]).exists(), name
        else:
            # An exact release (PostgreSQL numbers its releases major.minor), never a moving tag.
            assert re.fullmatch(r"[\w./-]+:\d+\.\d+(\.\d+)?(-[\w.-]+)?", service["image"]), (
                f"{name}: {service['image']}"
            )


def test_long_running_services_have_health_checks_and_start_in_order(compose):
    services = compose["services"]
    for name, service in services.items():
        if not one_shot(service):
            assert service.get("healthcheck", {}).get("test"), f"{name} has no health check"
            assert service.get("restart") == "unless-stopped", name
        for target, rule in (service.get("depends_on") or {}).items():
            assert target in services, f"{name} depends on unknown {target}"
            condition = rule["condition"]
            assert condition in ("service_healthy", "service_completed_successfully"), (name, target)
            if condition == "service_completed_successfully":
                assert one_shot(services[target]), (name, target)
    # Nothing serves before the schema exists; nginx waits for every replica behind it.
    for name in ("api-1", "api-2", "actions", "transcript-consumer"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert {"api-1", "api-2", "rasa-1", "rasa-2", "actions"} <= set(services["proxy"]["depends_on"])


def test_the_compose_file_holds_no_secret(compose):
    text = COMPOSE.read_text()
    assert not URL_WITH_PASSWORD.search(text)
    for name, service in compose["services"].items():
        for key, value in (service.get("environment") or {}).items():
            assert not SECRET_NAME.search(key), (
                f"{name}: {key} is set in compose.yml; it belongs in an env file"
            )
            assert not URL_WITH_PASSWORD.search(str(value)), f"{name}: {key}"


def test_env_files_are_never_committed_and_their_examples_hold_placeholders(compose):
    env_files = {f for service in compose["services"].values() for f in service.get("env_file", [])}
    assert env_files == {"compose.env", "postgres.env", "rabbitmq.env"}
    for env_file in env_files:
        ignored = subprocess.run(["git", "check-ignore", "-q", f"deploy/{env_file}"], cwd=ROOT)
        assert ignored.returncode == 0, f"deploy/{env_file} is not ignored by git"
        example = DEPLOY / f"{env_file}.example"
        for line in example.read_text().splitlines():
            if "=" in line and not line.startswith("#"):
                key, value = line.split("=", 1)
                if SECRET_NAME.search(key):
                    assert value == "change-me", f"{example.name}: {key} must be a placeholder"
                assert "change-me@" in value or not URL_WITH_PASSWORD.search(value), key


def test_the_env_file_sets_everything_rasa_s_production_endpoints_read():
    needed = set(re.findall(r"\$\{(\w+)\}", (ROOT / "endpoints.production.yml").read_text()))
    given = {
        line.split("=", 1)[0]
        for line in (DEPLOY / "compose.env.example").read_text().splitlines()
        if "=" in line and not line.startswith("#")
    }
    assert needed - {"ACTION_SERVER_URL"} <= given, needed - given
    assert "ACTION_SERVER_URL" in yaml.safe_load(COMPOSE.read_text())["services"]["rasa-1"]["environment"]


def test_the_proxy_passes_websocket_upgrades_to_every_api_replica(compose):
    conf = (DEPLOY / "nginx" / "nginx.conf").read_text()
    locations = (DEPLOY / "nginx" / "bankbot-locations.conf").read_text()
    upstream = re.search(r"upstream bankbot_api \{(.*?)\}", conf, re.S).group(1)
    assert re.findall(r"server (api-\d):8000", upstream) == ["api-1", "api-2"]
    assert "ip_hash" not in upstream and "sticky" not in upstream, "no stickiness is needed"
    assert "proxy_set_header Upgrade $http_upgrade;" in locations
    assert "proxy_set_header Connection $connection_upgrade;" in locations
    assert "proxy_set_header X-Forwarded-For" in locations
    mounted = compose["services"]["proxy"]["volumes"]
    assert any(v.startswith("./nginx/bankbot-locations.conf:") for v in mounted)
    trusted = compose["services"]["api-1"]["environment"]["TRUSTED_PROXIES"]
    assert compose["services"]["proxy"]["networks"]["default"]["ipv4_address"] == trusted


def compose_cli() -> list[str] | None:
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0:
        return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy else None


def test_a_compose_cli_accepts_the_file(tmp_path):
    cli = compose_cli()
    if cli is None:
        pytest.skip("no Compose CLI here (docker compose / docker-compose); structure checked above")
    copy = tmp_path / "deploy"
    shutil.copytree(DEPLOY, copy, ignore=shutil.ignore_patterns("kubernetes", "__pycache__"))
    for env_file in ("compose.env", "postgres.env", "rabbitmq.env"):
        shutil.copy(copy / f"{env_file}.example", copy / env_file)
    result = subprocess.run(
        [*cli, "-f", str(copy / "compose.yml"), "config", "-q"],
        cwd=copy,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
