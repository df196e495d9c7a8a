"""deploy/kubernetes: the kustomize base and the production overlay render with `kubectl kustomize`,
validate against the Kubernetes schemas (kubernetes-validate, strict), and say what a platform
team relies on: probes on the right endpoints, resources, non-root, autoscaling and disruption
budgets that match their Deployments, Secrets referenced but never committed, the migration Job,
the purge CronJobs and the RabbitMQ consumer."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT

KUBERNETES = ROOT / "deploy" / "kubernetes"
VALIDATE = ROOT / ".venv-tools" / "bin" / "kubernetes-validate"
OVERLAYS = {"base": KUBERNETES / "base", "production": KUBERNETES / "overlays" / "production"}
# The oldest Kubernetes release the manifests are meant for (CronJob timeZone is GA since 1.27),
# and the validator's newest.
VERSIONS = ("1.29.0", None)
SECRET = "bankbot-secrets"


def kustomize_command() -> list[str] | None:
    if shutil.which("kubectl"):
        return ["kubectl", "kustomize"]
    if shutil.which("kustomize"):
        return ["kustomize", "build"]
    return None


@pytest.fixture(scope="module", params=list(OVERLAYS))
def rendered(request, tmp_path_factory) -> tuple[str, Path, list[dict]]:
    command = kustomize_command()
    if command is None:
        pytest.skip("neither kubectl nor kustomize is installed here")
    result = subprocess.run(
        [*command, str(OVERLAYS[request.param])], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    path = tmp_path_factory.mktemp("kustomize") / f"{request.param}.yaml"
    path.write_text(result.stdout)
    return request.param, path, [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def of_kind(docs: list[dict], kind: str) -> dict[str, dict]:
    return {doc["metadata"]["name"]: doc for doc in docs if doc["kind"] == kind}


def pod_spec(workload: dict) -> dict:
    if workload["kind"] == "CronJob":
        return workload["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return workload["spec"]["template"]["spec"]


def workloads(docs: list[dict]) -> list[dict]:
    return [doc for doc in docs if doc["kind"] in ("Deployment", "Job", "CronJob")]


@pytest.mark.parametrize("version", VERSIONS, ids=lambda v: v or "newest")
def test_the_rendered_manifests_validate_against_the_kubernetes_schemas(rendered, version):
    assert VALIDATE.exists(), "kubernetes-validate is missing: run `make tools` (it installs .venv-tools)"
    _name, path, _docs = rendered
    command = [str(VALIDATE), "--strict", "--quiet", str(path)]
    if version:
        command[1:1] = ["-k", version]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_process_has_its_workload(rendered):
    _name, _path, docs = rendered
    deployments = of_kind(docs, "Deployment")
    assert set(deployments) == {
        "bankbot-api",
        "bankbot-rasa",
        "bankbot-actions",
        "bankbot-transcript-consumer",
    }
    consumer = deployments["bankbot-transcript-consumer"]["spec"]["template"]["spec"]["containers"][0]
    assert consumer["command"] == ["python", "-m", "scripts.transcripts", "consume-rabbitmq"]
    migrate = of_kind(docs, "Job")["bankbot-migrate"]
    assert pod_spec(migrate)["containers"][0]["command"] == ["python", "-m", "scripts.migrate"]
    purges = {
        name: pod_spec(job)["containers"][0]["command"] for name, job in of_kind(docs, "CronJob").items()
    }
    assert purges == {
        "bankbot-purge-cases": ["python", "-m", "scripts.purge_cases"],
        "bankbot-purge-transcripts": ["python", "-m", "scripts.transcripts", "purge"],
        # Backfills the transcript store from Rasa's tracker store (events a crashed Rasa never published).
        "bankbot-transcripts-reconcile": ["python", "-m", "scripts.transcripts", "reconcile", "--hours", "2"],
    }
    for job in of_kind(docs, "CronJob").values():
        assert job["spec"]["concurrencyPolicy"] == "Forbid" and job["spec"]["timeZone"] == "Asia/Shanghai"


def test_probes_use_the_split_health_endpoints(rendered):
    _name, _path, docs = rendered
    deployments = of_kind(docs, "Deployment")
    api = deployments["bankbot-api"]["spec"]["template"]["spec"]["containers"][0]
    assert api["livenessProbe"]["httpGet"]["path"] == "/livez", (
        "liveness must not depend on Rasa or the database"
    )
    assert api["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert api["startupProbe"]["httpGet"]["path"] == "/livez"
    rasa = deployments["bankbot-rasa"]["spec"]["template"]["spec"]["containers"][0]
    assert rasa["readinessProbe"]["exec"]["command"][-1] == "rasa", "ready once a model is loaded"
    for name in ("bankbot-api", "bankbot-rasa", "bankbot-actions"):
        container = deployments[name]["spec"]["template"]["spec"]["containers"][0]
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            assert probe in container, f"{name} has no {probe}"


def test_workloads_are_bounded_non_root_and_read_only(rendered):
    _name, _path, docs = rendered
    for workload in workloads(docs):
        spec = pod_spec(workload)
        name = workload["metadata"]["name"]
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        assert spec["automountServiceAccountToken"] is False, name
        for container in spec["containers"]:
            resources = container["resources"]
            assert {"cpu", "memory"} <= set(resources["requests"]) and "memory" in resources["limits"], name
            security = container["securityContext"]
            assert security["readOnlyRootFilesystem"] and not security["allowPrivilegeEscalation"], name
            assert security["capabilities"]["drop"] == ["ALL"], name


def test_secrets_are_referenced_never_committed(rendered):
    _name, _path, docs = rendered
    assert not of_kind(docs, "Secret"), "a Secret must never be rendered from the repository"
    for workload in workloads(docs):
        refs = [
            source["secretRef"]["name"]
            for c in pod_spec(workload)["containers"]
            for source in c.get("envFrom", [])
            if "secretRef" in source
        ]
        assert refs == [SECRET], workload["metadata"]["name"]
    config = next(iter(of_kind(docs, "ConfigMap").values()))["data"]
    secret_keys = {
        line.split("=", 1)[0]
        for line in (KUBERNETES / "secrets.env.example").read_text().splitlines()
        if "=" in line and not line.startswith("#")
    }
    assert not secret_keys & set(config), "a secret key is in the ConfigMap"
    # Together, the ConfigMap and the Secret set everything the compose file's env file sets.
    compose_keys = {
        line.split("=", 1)[0]
        for line in (ROOT / "deploy" / "compose.env.example").read_text().splitlines()
        if "=" in line and not line.startswith("#")
    }
    assert compose_keys <= set(config) | secret_keys, compose_keys - set(config) - secret_keys


def test_autoscalers_and_disruption_budgets_match_their_deployments(rendered):
    name, _path, docs = rendered
    deployments = of_kind(docs, "Deployment")
    autoscalers = of_kind(docs, "HorizontalPodAutoscaler")
    assert set(autoscalers) == {"bankbot-api", "bankbot-rasa", "bankbot-actions"}
    for hpa in autoscalers.values():
        target = hpa["spec"]["scaleTargetRef"]["name"]
        assert target in deployments and hpa["spec"]["minReplicas"] >= 2
        assert "replicas" not in deployments[target]["spec"], f"{target}: the autoscaler owns the count"
    for pdb in of_kind(docs, "PodDisruptionBudget").values():
        selector = pdb["spec"]["selector"]["matchLabels"]
        matching = [
            d
            for d in deployments.values()
            if selector.items() <= d["spec"]["template"]["metadata"]["labels"].items()
        ]
        assert len(matching) == 1, pdb["metadata"]["name"]
        hpa = autoscalers[matching[0]["metadata"]["name"]]
        assert pdb["spec"]["minAvailable"] < hpa["spec"]["minReplicas"], (
            "a node drain must be able to proceed"
        )
    for service in of_kind(docs, "Service").values():
        selector = service["spec"]["selector"]
        assert any(
            selector.items() <= d["spec"]["template"]["metadata"]["labels"].items()
            for d in deployments.values()
        )


def test_the_ingress_serves_websockets_without_stickiness(rendered):
    name, _path, docs = rendered
    ingress = of_kind(docs, "Ingress")["bankbot"]
    annotations = ingress["metadata"].get("annotations", {})
    assert int(annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 3600
    assert not any("affinity" in key for key in annotations), "no session affinity is needed"
    backends = [
        path["backend"]["service"]["name"]
        for rule in ingress["spec"]["rules"]
        for path in rule["http"]["paths"]
    ]
    assert backends == ["bankbot-api"]
    if name == "production":
        assert ingress["spec"]["tls"][0]["secretName"] == "bankbot-tls"


def test_production_pins_release_images_and_the_rasa_image_carries_the_model(rendered):
    name, _path, docs = rendered
    images = {c["image"] for w in workloads(docs) for c in pod_spec(w)["containers"]}
    if name == "production":
        assert all(":" in image and not image.endswith((":dev", ":latest")) for image in images), images
        tags = {image.rsplit(":", 1)[1] for image in images}
        assert len(tags) == 1, "the three images of a release share one tag"
        assert all(doc["metadata"].get("namespace") == "bankbot" for doc in docs)
    rasa = of_kind(docs, "Deployment")["bankbot-rasa"]["spec"]["template"]["spec"]["containers"][0]
    assert "/rasa" in rasa["image"] or rasa["image"].startswith("bankbot-rasa")
    assert (
        "COPY --from=build /app/models/current.tar.gz" in (ROOT / "deploy/docker/Dockerfile.rasa").read_text()
    )
