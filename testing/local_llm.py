"""Tests marked `local_llm` talk to a real OpenAI-compatible server (scripts/test-local-llm starts one).

They run when LOCAL_LLM_URL names the server (`http://127.0.0.1:<port>/v1`) and are deselected
otherwise: the default suite has no server, and a deselected test is not a skip that REQUIRE_ALL_TESTS
would count (the script runs them in CI as its own step). LOCAL_LLM_MODEL is the model name to send,
LOCAL_LLM_SERVER and LOCAL_LLM_GGUF let a test start a server of its own (to kill it mid-answer).
"""

from __future__ import annotations

import os


def local_llm_url() -> str:
    return os.environ.get("LOCAL_LLM_URL", "")


def pytest_configure(config):
    config.addinivalue_line("markers", "local_llm: needs a real local model server (scripts/test-local-llm)")


def pytest_collection_modifyitems(config, items):
    if local_llm_url():
        return
    kept, deselected = [], []
    for item in items:
        (deselected if item.get_closest_marker("local_llm") else kept).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept
