"""docs/openapi.json is the API's schema as the code generates it today."""

from django.core.management import call_command

from config.management.commands.export_openapi import DEFAULT_OUTPUT, openapi_json


def test_it_keeps_docs_openapi_json_current():
    assert DEFAULT_OUTPUT.read_text() == openapi_json(), (
        "docs/openapi.json is stale: run `python manage.py export_openapi` and commit it."
    )


def test_it_exports_the_schema_to_a_chosen_file(tmp_path):
    target = tmp_path / "schema.json"

    call_command("export_openapi", output=target)

    assert target.read_text() == openapi_json()
    call_command("export_openapi", output=target, check=True)
