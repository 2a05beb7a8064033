"""The cast every test can use: two sites, and for each a customer and an engineer; plus an admin.

Site B is the outsider: anything of site A that a site-B user can reach is a tenancy bug.
"""

import pytest

from helpdesk.models import User
from helpdesk.services import site_create, user_create

pytest_plugins = ["testing.asgi", "testing.browser", "testing.required", "testing.local_llm"]

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Real hashers cost about a second per test user; what they protect is not under test here."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def site_a(db):
    return site_create(name="Alder & Finch LLP", slug="alder-finch", kind="law firm")


@pytest.fixture
def site_b(db):
    return site_create(name="Birchwood Clinic", slug="birchwood", kind="clinic")


@pytest.fixture
def customer_a(site_a):
    return user_create(
        username="alice",
        password=PASSWORD,
        role=User.Role.CUSTOMER,
        site=site_a,
        first_name="Alice",
        last_name="Archer",
        email="alice@alder.example",
    )


@pytest.fixture
def customer_b(site_b):
    return user_create(
        username="bob",
        password=PASSWORD,
        role=User.Role.CUSTOMER,
        site=site_b,
        first_name="Bob",
        last_name="Baker",
        email="bob@birchwood.example",
    )


@pytest.fixture
def colleague_a(site_a):
    """Another customer of site A: same site as Alice, but none of Alice's tickets or chats are hers."""
    return user_create(
        username="carol",
        password=PASSWORD,
        role=User.Role.CUSTOMER,
        site=site_a,
        first_name="Carol",
        last_name="Colleague",
        email="carol@alder.example",
    )


@pytest.fixture
def engineer_a(site_a):
    return user_create(
        username="erin",
        password=PASSWORD,
        role=User.Role.ENGINEER,
        covered_sites=[site_a],
        expertise=["network", "printers"],
        first_name="Erin",
        last_name="Engel",
    )


@pytest.fixture
def engineer_b(site_b):
    return user_create(
        username="evan",
        password=PASSWORD,
        role=User.Role.ENGINEER,
        covered_sites=[site_b],
        expertise=["email", "accounts"],
        first_name="Evan",
        last_name="Ellis",
    )


@pytest.fixture
def admin_user(db):
    return user_create(
        username="ada",
        password=PASSWORD,
        role=User.Role.ADMIN,
        first_name="Ada",
        last_name="Admin",
        email="ada@msp.example",
    )


@pytest.fixture
def login(client):
    """Log a user into the Django test client and return the client."""

    def _login(user):
        client.force_login(user)
        return client

    return _login


@pytest.fixture
def queued_tasks():
    """Read the tasks waiting in the django-q2 broker, whichever broker is configured (ORM or Redis)."""
    from django_q.brokers import get_broker
    from django_q.models import OrmQ
    from django_q.signing import SignedPackage

    broker = get_broker()
    broker.purge_queue()  # a Redis list is not rolled back with the test's transaction

    def read() -> list[tuple[str, tuple]]:
        if hasattr(broker.connection, "lrange"):
            payloads = broker.connection.lrange(broker.list_key, 0, -1)
        else:
            payloads = (
                OrmQ.objects.filter(key=broker.list_key).order_by("pk").values_list("payload", flat=True)
            )
        return [(task["func"], task["args"]) for task in map(SignedPackage.loads, payloads)]

    return read
