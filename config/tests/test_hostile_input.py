"""Fuzz cases the contract fuzz cannot reach: NUL characters in the query strings of pages (search boxes,
filters) and bodies beyond the upload limit, on pages and on the API. None of them may answer 5xx.
"""

import json
import re

import pytest
from django.conf import settings
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as fuzz_settings
from hypothesis import strategies as st

from integrations.services import api_token_create
from testing.openapi import schema

pytestmark = pytest.mark.django_db

PAGES = ["/", "/tickets/", "/tickets/queue/", "/tickets/overview/", "/kb/", "/chat/", "/chat/insights/"]
PARAMETERS = ["q", "site", "state", "priority", "page", "overdue", "mine", "unassigned", "after"]
# Text around a NUL: what a hostile client pastes into a search box or a filter.
with_nul = st.tuples(st.text(max_size=20), st.text(max_size=20)).map(lambda parts: "\x00".join(parts))
TOO_BIG = settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1024


@pytest.fixture
def cast(site_a, customer_a, engineer_a, admin_user):
    return {"customer": customer_a, "engineer": engineer_a, "admin": admin_user}


def test_it_answers_the_kb_search_with_a_nul_with_a_4xx_sentence(client, customer_a, engineer_a):
    for user in (customer_a, engineer_a):
        client.force_login(user)
        response = client.get("/kb/?q=%00")

        assert response.status_code == 400
        assert "NUL" in response.content.decode()


@given(role=st.sampled_from(["customer", "engineer", "admin"]), page=st.sampled_from(PAGES), data=st.data())
@fuzz_settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_it_never_answers_5xx_to_nul_in_a_page_query(cast, role, page, data):
    names = data.draw(st.lists(st.sampled_from(PARAMETERS), min_size=1, max_size=3, unique=True))
    query = {name: data.draw(with_nul) for name in names}
    client = Client()
    client.force_login(cast[role])

    response = client.get(page, query)

    assert response.status_code < 500


@pytest.mark.parametrize(
    "page", ["/accounts/login/", "/tickets/new/", "/chat/start/", "/profile/", "/integrations/tokens/"]
)
def test_it_refuses_a_page_form_body_beyond_the_limit_with_413(client, customer_a, page):
    client.force_login(customer_a)

    response = client.post(page, {"title": "x" * TOO_BIG})

    assert response.status_code == 413
    assert "too large" in response.content.decode()


def _json_operations():
    for path, item in schema.raw_schema["paths"].items():
        for method, operation in item.items():
            if "application/json" in operation.get("requestBody", {}).get("content", {}):
                # Ids in the path do not matter: the body is read before any object is looked up.
                yield method, re.sub(r"\{[^}]+\}", "1", path)


@pytest.mark.parametrize(("method", "path"), sorted(_json_operations()))
def test_it_refuses_an_api_body_beyond_the_limit_with_413_in_the_error_shape(admin_user, method, path):
    client = Client(headers={"Authorization": f"Bearer {api_token_create(user=admin_user, name='t').secret}"})
    body = json.dumps({"title": "x" * TOO_BIG})

    response = getattr(client, method)(path, body, content_type="application/json")

    assert response.status_code == 413, (method, path, response.content[:200])
    limit = f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE / 1024 / 1024:g} MB"
    assert response.json() == {"detail": f"The request body is too large: at most {limit}.", "errors": []}
