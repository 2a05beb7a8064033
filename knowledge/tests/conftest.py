"""The chat's live ASGI server, for the browser test that follows a KB draft into the assistant's answer."""

from chat.tests.conftest import asgi_server  # noqa: F401 - a fixture, used by name
