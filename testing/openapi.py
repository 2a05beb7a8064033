"""The API's own OpenAPI schema, served by the real app in process: what the fuzz tests generate from."""

from __future__ import annotations

import schemathesis

from config.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
