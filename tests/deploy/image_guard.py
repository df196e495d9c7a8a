"""Runs in a subprocess: imports a process's code while every third-party module outside one of
deploy/docker/requirements-*.txt is made absent, as it is in that image.

    python tests/deploy/image_guard.py api|actions

Prints the modules it kept out (optional imports the code survived without) and exits non-zero
with a traceback when the code needs one of them.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.metadata as metadata
import os
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OWN = {
    "api",
    "bot",
    "scripts",
    "actions",
    "migrations",
    "deploy",
    "rasa_components",
    "rasa_sdk_plugins",
    "tests",
}


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


class Absent(importlib.abc.MetaPathFinder):
    """Refuses third-party top-level modules whose distribution is not in the image."""

    def __init__(self, allowed: set[str]):
        self.allowed = allowed
        self.owners = metadata.packages_distributions()
        self.refused: set[str] = set()

    def find_spec(self, name, path, target=None):
        top = name.partition(".")[0]
        if top in sys.stdlib_module_names or top in OWN or top in sys.builtin_module_names:
            return None
        owners = self.owners.get(top)
        if owners and not any(normalise(owner) in self.allowed for owner in owners):
            self.refused.add(top)
            raise ModuleNotFoundError(f"No module named {name!r} (not in the image)", name=name)
        return None


def api() -> None:
    from fastapi.testclient import TestClient

    work = Path(tempfile.mkdtemp())
    os.environ.update(
        {
            "DATABASE_URL": f"sqlite:///{work / 'app.db'}",
            "VAR_DIR": str(work),
            "RASA_URL": "http://127.0.0.1:9",
            "DEMO_MODE": "false",
        }
    )
    from scripts import migrate

    migrate.upgrade(os.environ["DATABASE_URL"])
    for module in (
        "scripts.transcripts",
        "scripts.purge_cases",
        "scripts.staff",
        "bot.transcripts.consumer",
        "uvicorn.main",
        "uvicorn.loops.uvloop",
        "uvicorn.protocols.http.httptools_impl",
        "uvicorn.protocols.websockets.websockets_impl",
        "psycopg2",
        "redis.asyncio",
        "aio_pika",
        "argon2",
    ):
        importlib.import_module(module)
    from api.main import create_app

    with TestClient(create_app()) as client:
        assert client.get("/livez").status_code == 200
        assert client.get("/").status_code == 200


def actions() -> None:
    import pkgutil

    from rasa_sdk.endpoint import create_app

    import actions as package

    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"actions.{module.name}")
    for module in ("psycopg2", "redis", "rasa_sdk.__main__"):
        importlib.import_module(module)
    app = create_app("actions")
    # What `rasa_sdk` does at start-up: our plugins (the shared-token check) attach to the app.
    from rasa_sdk.plugin import plugin_manager

    plugin_manager().hook.attach_sanic_app_extensions(app=app)


if __name__ == "__main__":
    image = sys.argv[1]
    lines = (ROOT / "deploy" / "docker" / f"requirements-{image}.txt").read_text().splitlines()
    allowed = {normalise(line.split("==")[0]) for line in lines if "==" in line}
    guard = Absent(allowed)
    sys.meta_path.insert(0, guard)
    sys.path.insert(0, str(ROOT))
    {"api": api, "actions": actions}[image]()
    print("kept out: " + ", ".join(sorted(guard.refused)))
    sources = [str(ROOT / name) + os.sep for name in os.listdir(ROOT) if not name.startswith(".")]
    own = {
        name.partition(".")[0]
        for name, module in list(sys.modules.items())
        if name not in ("__main__", "__mp_main__")
        and str(getattr(module, "__file__", "") or "").startswith(tuple(sources))
    }
    print("own: " + ", ".join(sorted(own - {"tests"})))
