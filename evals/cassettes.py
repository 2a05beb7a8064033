"""vcrpy for the OpenAI-compatible chat API: a request replays only an answer recorded for its shape.

Matching on the URL alone let any request body replay any answer: a triage call could be answered with
a recorded stream. Here a request also has to agree with the recording on what decides the answer's
wire format: the model, the stream flag, the response format and its JSON schema's name, and the roles
of the messages. The prompts' text is not compared: it holds database ids that differ on every run.
"""

from __future__ import annotations

import json
from pathlib import Path

import vcr

SECRET_HEADERS = ["authorization", "openai-organization", "openai-project", "cookie", "set-cookie", "api-key"]


def request_shape(request) -> dict:
    """The fields of a chat-completions body that decide what kind of answer comes back."""
    body = request.body or b"{}"
    try:
        data = json.loads(body.decode("utf-8") if isinstance(body, bytes) else body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return {"body": "not JSON"}
    if not isinstance(data, dict):
        return {"body": type(data).__name__}
    response_format = data.get("response_format") or {}
    schema = response_format.get("json_schema") or {}
    return {
        "model": data.get("model"),
        "stream": bool(data.get("stream", False)),
        "response_format": response_format.get("type"),
        "json_schema": schema.get("name"),
        "roles": [message.get("role") for message in data.get("messages", []) if isinstance(message, dict)],
    }


def same_shape(recorded, sent) -> None:
    """vcrpy matcher: raises AssertionError naming the fields that differ."""
    a, b = request_shape(recorded), request_shape(sent)
    differences = {key: (a.get(key), b.get(key)) for key in a.keys() | b.keys() if a.get(key) != b.get(key)}
    if differences:
        raise AssertionError(
            "request shape differs: "
            + ", ".join(f"{key} {old!r} != {new!r}" for key, (old, new) in sorted(differences.items()))
        )


def openai_vcr(*, library: Path | str | None = None, record_mode: str = "none", **options) -> vcr.VCR:
    """A VCR for OpenAI-compatible servers: replay only by default, secrets never recorded, requests
    matched on method, URL and shape (`same_shape`)."""
    recorder = vcr.VCR(
        cassette_library_dir=str(library) if library else None,
        record_mode=record_mode,
        match_on=["method", "scheme", "host", "port", "path", "openai_shape"],
        filter_headers=SECRET_HEADERS,
        decode_compressed_response=True,
        **options,
    )
    recorder.register_matcher("openai_shape", same_shape)
    return recorder
