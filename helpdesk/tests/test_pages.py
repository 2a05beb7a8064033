def test_it_sends_anonymous_visitors_to_the_login_page(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_it_serves_the_login_and_password_reset_pages(client, db):
    login = client.get("/accounts/login/")
    assert login.status_code == 200
    assert b"Forgot your password?" in login.content
    assert client.get("/accounts/password_reset/").status_code == 200


def test_it_logs_a_user_in_with_the_login_form(client, customer_a):
    from conftest import PASSWORD

    response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/healthz").content == b"ok"


def test_it_serves_the_admin_to_admins_only(client, admin_user, customer_a):
    client.force_login(customer_a)
    assert client.get("/admin/").status_code == 302
    client.force_login(admin_user)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/helpdesk/site/").status_code == 200


def test_it_serves_the_api_docs_from_our_own_static_files(client, customer_a):
    client.force_login(customer_a)
    page = client.get("/api/v1/docs").content.decode()
    assert "/static/ninja/swagger-ui" in page
    assert "cdn.jsdelivr.net" not in page
