"""The published API must not change by accident: its OpenAPI schema is kept in openapi.json.

After an intended change, regenerate it and review the diff:

    UPDATE_SNAPSHOTS=1 .venv/bin/pytest tests/api/test_openapi_snapshot.py
"""

import json
import os
from pathlib import Path

from django.utils import translation

from kam.api import api

SNAPSHOT = Path(__file__).with_name("openapi.json")


def current_schema() -> dict:
    with translation.override("en"):
        # A JSON round trip turns lazy strings and tuples into what the file holds.
        return json.loads(json.dumps(api.get_openapi_schema(), default=str))


def test_the_openapi_schema_matches_the_snapshot():
    schema = current_schema()
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.write_text(json.dumps(schema, indent=2, ensure_ascii=False) + "\n")
    assert SNAPSHOT.exists(), "no snapshot yet: run with UPDATE_SNAPSHOTS=1"
    snapshot = json.loads(SNAPSHOT.read_text())

    changed_paths = sorted(
        set(schema["paths"]) ^ set(snapshot["paths"])
        | {p for p in schema["paths"] if schema["paths"][p] != snapshot["paths"].get(p)}
    )
    changed_schemas = sorted(
        name
        for name in set(schema["components"]["schemas"]) | set(snapshot["components"]["schemas"])
        if schema["components"]["schemas"].get(name) != snapshot["components"]["schemas"].get(name)
    )
    assert schema == snapshot, (
        "the API changed; if intended, run with UPDATE_SNAPSHOTS=1 and review the diff. "
        f"Paths: {changed_paths}; schemas: {changed_schemas}"
    )


def test_every_operation_is_named_and_documented():
    for path, operations in current_schema()["paths"].items():
        for method, operation in operations.items():
            assert operation["operationId"], (method, path)
            assert operation["summary"], (method, path)
            assert operation["security"], (method, path)


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_no_two_api_schemas_share_a_name():
    """OpenAPI components are keyed by class name: a second ``RunOut`` would silently replace
    the first in the published schema."""
    from ninja import Schema

    ours = [c for c in _subclasses(Schema) if c.__module__.startswith("kam.")]
    names = [c.__name__ for c in ours]
    assert ours and sorted({n for n in names if names.count(n) > 1}) == []
