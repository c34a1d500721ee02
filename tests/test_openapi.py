"""The API contract is a committed file: CI fails when the generated schema differs."""

from pathlib import Path

from django.core.management import call_command

CONTRACT = Path(__file__).resolve().parent.parent / "docs" / "openapi.yaml"


def test_committed_openapi_schema_is_current(tmp_path):
    generated = tmp_path / "openapi.yaml"
    call_command("spectacular", "--file", str(generated), "--validate", "--fail-on-warn")
    assert CONTRACT.exists(), "docs/openapi.yaml is missing: run `make schema`"
    assert generated.read_text() == CONTRACT.read_text(), (
        "docs/openapi.yaml is out of date: run `make schema` and commit it"
    )
