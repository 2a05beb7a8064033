import pytest

from knowledge import tasks
from knowledge.models import Article
from retrieval.citations import sources_for_viewer
from retrieval.selectors import similar_cases
from retrieval.types import SourceType
from testing.factories import article

pytestmark = pytest.mark.django_db


@pytest.fixture
def articles(site_a, site_b):
    made = {
        "a": article(
            site=site_a,
            title="Printer shows paper jam",
            body="Clean the **tray 2 sensor**.\n\n<script>alert(1)</script>[x](javascript:alert(2))",
        ),
        "a_draft": article(
            site=site_a, title="VPN draft notes", body="Unfinished.", state=Article.State.DRAFT
        ),
        "b": article(site=site_b, title="Birchwood Ricoh guide", body="Level 1 printer."),
        "global": article(
            site=None, title="Report a phishing email", body="Use the Report button in Outlook."
        ),
    }
    for kb in made.values():
        tasks.index_article(kb.id)
    return made


def test_it_shows_customers_a_help_centre_of_their_site_and_the_global_kb(login, customer_a, articles):
    page = login(customer_a).get("/kb/")

    assert page.status_code == 200
    html = page.content.decode()
    assert "Printer shows paper jam" in html and "Report a phishing email" in html
    assert "VPN draft notes" not in html and "Birchwood" not in html
    assert "Clean the tray 2 sensor." in html and "**" not in html and "alert(" not in html


def test_it_searches_the_help_centre_by_meaning(login, customer_a, articles):
    html = login(customer_a).get("/kb/", {"q": "the copier says a sheet is stuck"}).content.decode()

    assert "Printer shows paper jam" in html
    assert "Report a phishing email" not in html


def test_it_renders_markdown_safely(login, customer_a, articles):
    html = login(customer_a).get(f"/kb/{articles['a'].id}/").content.decode()

    assert "<strong>tray 2 sensor</strong>" in html
    assert "<script>alert(1)" not in html
    assert "javascript:alert" not in html


def test_it_answers_404_across_sites_and_for_drafts_to_customers(
    login, customer_a, engineer_a, engineer_b, articles
):
    client = login(customer_a)
    assert client.get(f"/kb/{articles['b'].id}/").status_code == 404
    assert client.get(f"/kb/{articles['a_draft'].id}/").status_code == 404
    assert client.get(f"/kb/{articles['a'].id}/edit/").status_code == 403

    client = login(engineer_b)
    assert client.get(f"/kb/{articles['a'].id}/").status_code == 404
    assert client.get(f"/kb/{articles['a'].id}/edit/").status_code == 404
    assert client.get(f"/kb/{articles['global'].id}/").status_code == 200
    assert client.get(f"/kb/{articles['b'].id}/").status_code == 200  # their own site's article

    client = login(engineer_a)  # site A's engineer opens what the others may not
    for url in (
        f"/kb/{articles['a'].id}/",
        f"/kb/{articles['a'].id}/edit/",
        f"/kb/{articles['a_draft'].id}/",
    ):
        assert client.get(url).status_code == 200, url


def test_it_lists_drafts_for_engineers_and_filters_by_site(login, engineer_a, admin_user, site_b, articles):
    html = login(engineer_a).get("/kb/").content.decode()
    assert "VPN draft notes" in html and "Birchwood" not in html

    admin_html = login(admin_user).get("/kb/", {"site": site_b.id}).content.decode()
    assert "Birchwood Ricoh guide" in admin_html and "Printer shows paper jam" not in admin_html


def test_it_creates_and_edits_an_article(
    login, engineer_a, site_a, site_b, django_capture_on_commit_callbacks
):
    client = login(engineer_a)
    assert client.get("/kb/new/").status_code == 200
    refused = client.post("/kb/new/", {"title": "T", "body": "B", "site": site_b.id, "state": "draft"})
    assert refused.status_code == 200 and not Article.objects.exists()

    created = client.post(
        "/kb/new/", {"title": "Guest Wi-Fi", "body": "Join AF-Guest.", "site": site_a.id, "state": "draft"}
    )
    kb = Article.objects.get()
    assert created.status_code == 302 and created["Location"] == f"/kb/{kb.id}/"
    assert kb.site == site_a and kb.author == engineer_a

    with django_capture_on_commit_callbacks(execute=True):
        edited = client.post(
            f"/kb/{kb.id}/edit/",
            {"title": "Guest Wi-Fi", "body": "Join AF-Guest (password on screen).", "state": "published"},
        )
    tasks.index_article(kb.id)
    kb.refresh_from_db()
    assert edited.status_code == 302
    assert kb.state == "published" and kb.published_at and "password on screen" in kb.body
    assert kb.document.text.endswith("Join AF-Guest (password on screen).")


def test_it_keeps_global_articles_for_admins(login, engineer_a, admin_user, articles):
    assert login(engineer_a).get(f"/kb/{articles['global'].id}/edit/").status_code == 403

    client = login(admin_user)
    response = client.post(
        "/kb/new/", {"title": "MFA for everyone", "body": "Use the app.", "state": "published"}
    )

    assert response.status_code == 302
    assert Article.objects.get(title="MFA for everyone").site is None


def test_the_help_centre_search_never_shows_another_sites_article(login, customer_a, customer_b, articles):
    html = login(customer_a).get("/kb/", {"q": "Birchwood Ricoh guide"}).content.decode()

    assert "Birchwood" not in html.split('data-testid="articles"')[1]
    assert "No article in the help centre answers “Birchwood Ricoh guide”." in html

    found = login(customer_b).get("/kb/", {"q": "Birchwood Ricoh guide"}).content.decode()
    assert f'href="/kb/{articles["b"].id}/"' in found
    assert "Printer shows paper jam" not in found


def test_the_help_centre_search_finds_global_articles_and_says_how_many(login, customer_a, articles):
    html = login(customer_a).get("/kb/", {"q": "how do I report a phishing email?"}).content.decode()

    assert f'href="/kb/{articles["global"].id}/"' in html
    assert "Birchwood" not in html
    assert "for “how do I report a phishing email?”, best match first." in html


def test_a_search_with_no_hits_says_so(login, customer_a, articles):
    html = login(customer_a).get("/kb/", {"q": "banana bread recipe"}).content.decode()

    assert "No article in the help centre answers “banana bread recipe”." in html
    assert "Nothing here matches your search." in html and "Open a ticket" in html


def test_kb_citations_open_on_the_help_centre_for_the_articles_site_only(
    login, site_a, customer_a, customer_b, articles
):
    """What the assistant cites of a site A question: the URLs retrieval gives its article cases."""
    cases = similar_cases(site=site_a, text="paper jam in tray 2", k=3, sources=[SourceType.ARTICLE])
    entries = [
        {"key": c.citation_key, "cid": n, "title": c.title, "url": c.url} for n, c in enumerate(cases, 1)
    ]
    shown = sources_for_viewer(user=customer_a, sources=entries)

    assert {s["url"] for s in shown} == {f"/kb/{articles['a'].id}/", f"/kb/{articles['global'].id}/"}
    for source in shown:
        page = login(customer_a).get(source["url"])
        assert page.status_code == 200 and "Help centre" in page.content.decode()
    outsider = login(customer_b)
    assert outsider.get(f"/kb/{articles['a'].id}/").status_code == 404
    assert outsider.get(f"/kb/{articles['global'].id}/").status_code == 200
    assert [s["url"] for s in sources_for_viewer(user=customer_b, sources=entries)] == [
        f"/kb/{articles['global'].id}/"
    ]
