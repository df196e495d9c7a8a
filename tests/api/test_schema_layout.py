"""Bodies live in api/schemas/<route module>.py (api/schemas/__init__.py says why)."""

from __future__ import annotations

import ast

from tests.conftest import ROOT

ROUTES = ROOT / "api" / "routes"
SCHEMAS = ROOT / "api" / "schemas"


def _classes_deriving_from_base_model(path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
        and any(getattr(base, "id", getattr(base, "attr", None)) == "BaseModel" for base in node.bases)
    ]


def test_route_modules_define_no_models():
    inline = {path.name: _classes_deriving_from_base_model(path) for path in ROUTES.glob("*.py")}
    assert {name: classes for name, classes in inline.items() if classes} == {}


def test_every_schema_module_is_named_after_a_route_module():
    routes = {path.stem for path in ROUTES.glob("*.py")}
    schemas = {path.stem for path in SCHEMAS.glob("*.py")} - {"__init__"}
    assert schemas - routes == set()
    assert not (ROOT / "api" / "schemas.py").exists()
