"""Every operation of the OpenAPI document says what it answers: a JSON operation has a response
schema (a model, not a bare object), the exports and the story name their media type, and only
204s have no body."""

from __future__ import annotations

from typing import Any


def _documented(schema: dict[str, Any]) -> bool:
    if "$ref" in schema:
        return True
    if "allOf" in schema or "anyOf" in schema:
        return all(_documented(part) for part in schema.get("allOf", schema.get("anyOf")))
    kind = schema.get("type")
    if kind == "array":
        return _documented(schema.get("items", {}))
    if kind == "object":
        extra = schema.get("additionalProperties")
        return bool(schema.get("properties")) or (isinstance(extra, dict) and _documented(extra))
    return kind in {"string", "integer", "number", "boolean"}


def _successes(spec):
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if status.startswith("2"):
                    yield f"{method.upper()} {path} {status}", status, response


def test_every_json_operation_has_a_response_schema(client):
    spec = client.get("/openapi.json").json()
    undocumented = [
        name
        for name, _status, response in _successes(spec)
        if "application/json" in response.get("content", {})
        and not _documented(response["content"]["application/json"].get("schema", {}))
    ]
    assert undocumented == []


def test_only_no_content_answers_have_no_body_and_non_json_ones_name_their_type(client):
    spec = client.get("/openapi.json").json()
    without_body = [name for name, status, response in _successes(spec) if not response.get("content")]
    assert all(name.endswith(" 204") for name in without_body), without_body
    media = {
        name.rsplit(" ", 1)[0]: sorted(response["content"])
        for name, _status, response in _successes(spec)
        if response.get("content")
    }
    assert media["GET /api/analyst/export/conversations.csv"] == ["text/csv"]
    assert media["GET /api/analyst/export/conversations.jsonl"] == ["application/x-ndjson"]
    assert media["GET /api/analyst/export/nlu-corrections"] == ["application/x-yaml"]
    assert media["GET /api/analyst/conversations/{conversation_id}/story"] == ["application/x-yaml"]
    assert {types[0] for types in media.values()} == {
        "application/json",
        "text/csv",
        "application/x-ndjson",
        "application/x-yaml",
    }
