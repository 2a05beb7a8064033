"""In a real browser, the pages run under the Content-Security-Policy without a single violation; and
the policy is really there: every page carries the header, an injected inline script is blocked, while
the page's own scripts (a static file and a nonce'd inline one) run."""

import pytest
from playwright.sync_api import expect

from chat.services import conversation_start
from conftest import PASSWORD
from testing.pages import page_urls
from tickets.services import ticket_create

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI || "inline"} `
    + `at ${event.sourceFile}:${event.lineNumber}`);
});
"""


def log_in(page, username):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


@pytest.mark.browser
def test_it_runs_every_page_under_the_policy_without_violations(browser_page, site_a, customer_a, engineer_a):
    page = browser_page
    ticket = ticket_create(site=site_a, requester=customer_a, title="Printer jams", description="Jams.")
    conversation, _ = conversation_start(site=site_a, customer=customer_a, body="My VPN keeps dropping")
    console = []
    page.on("console", lambda message: console.append(message.text))
    page.add_init_script(RECORD_VIOLATIONS)
    violations, visited = {}, 0
    for user in ("alice", "erin"):
        log_in(page, user)
        for url in [*page_urls(), f"/tickets/{ticket.pk}/", f"/chat/{conversation.pk}/"]:
            probe = page.request.get(url, max_redirects=0)
            is_page = probe.status == 200 and "html" in probe.headers["content-type"]
            if url.startswith("/accounts/") or not is_page:
                continue  # an action, a redirect or a file: no page to run (logout would end the session)
            response = page.goto(url)
            policy = response.headers.get("content-security-policy", "")
            assert "script-src 'self' 'nonce-" in policy, f"{url} has no enforced policy: {policy!r}"
            visited += 1
            found = page.evaluate("window.__cspViolations")
            if found:
                violations[f"{user} {url}"] = found
        page.get_by_role("button", name="Log out").click()
    assert visited >= 6
    assert violations == {}
    assert not [text for text in console if "Content Security Policy" in text]


@pytest.mark.browser
def test_it_keeps_bootstraps_scripts_working_on_a_phone(browser_page, customer_a):
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    menu = page.get_by_role("button", name="Menu")
    expect(menu).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_be_hidden()
    menu.click()  # the collapse is Bootstrap's JavaScript, loaded from /static/ under the policy
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


INJECTED = '<script id="injected">window.__injectedRan = true;</script>'


@pytest.mark.browser
def test_it_blocks_an_injected_inline_script_and_runs_the_pages_own(browser_page, customer_a):
    """The positive control of the test above: with the policy gone, the injected script would run."""
    page = browser_page
    log_in(page, "alice")
    page.add_init_script(RECORD_VIOLATIONS)

    def inject(route):  # what a stored XSS would do: markup in the page's HTML, the headers unchanged
        response = route.fetch()
        route.fulfill(response=response, body=response.text().replace("</body>", f"{INJECTED}</body>"))

    page.route("**/tickets/", inject)
    response = page.goto("/tickets/")

    assert "script-src 'self' 'nonce-" in response.headers["content-security-policy"]
    assert page.locator("#injected").count() == 1  # the markup arrived...
    assert page.evaluate("window.__injectedRan === undefined")  # ...and the browser did not run it
    assert any(v.startswith("script-src") for v in page.evaluate("window.__cspViolations"))
    # The page's own scripts ran: Bootstrap from /static/, and the help widget's nonce'd inline script.
    assert page.evaluate("typeof window.bootstrap") == "object"
    assert page.locator("[data-chat-key]").input_value() != ""
