"""Write the API's OpenAPI schema to docs/openapi.json (or check that the file is current)."""

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from config.api import api

DEFAULT_OUTPUT = Path(settings.BASE_DIR) / "docs" / "openapi.json"


def openapi_json() -> str:
    """The schema as stable text: sorted keys, so a diff shows only real changes."""
    return json.dumps(api.get_openapi_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


class Command(BaseCommand):
    help = "Export the OpenAPI schema of /api/v1/ to docs/openapi.json; --check fails if it is stale."

    def add_arguments(self, parser):
        parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="Where to write the schema")
        parser.add_argument("--check", action="store_true", help="Exit non-zero if the file is out of date")

    def handle(self, *args, output: Path, check: bool, **options):
        current = openapi_json()
        if check:
            if not output.exists() or output.read_text() != current:
                raise CommandError(f"{output} is out of date: run `python manage.py export_openapi`.")
            self.stdout.write(f"{output} is current.")
            return
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(current)
        self.stdout.write(f"Wrote {output} ({len(current)} bytes).")
