"""In headless Chromium: an admin invites an engineer for one site; the engineer opens the link from the
email, sets a password and lands on a queue that holds that site's tickets only."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from conftest import PASSWORD
from helpdesk.models import User
from testing.factories import ticket_in_state

pytestmark = pytest.mark.browser


def test_an_invited_engineer_sets_a_password_and_sees_only_their_sites_queue(
    browser_page, screenshot, live_server, settings, admin_user, site_a, site_b, customer_a, customer_b
):
    settings.HELPDESK_BASE_URL = live_server.url  # the emailed link leads to this server
    ticket_in_state("triaged", site=site_a, requester=customer_a, title="Alder's scanner is offline")
    ticket_in_state("triaged", site=site_b, requester=customer_b, title="Birchwood's badge reader beeps")
    page = browser_page
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    page.goto("/manage/people/invite/")
    page.get_by_label("Email address").fill("nina@msp.example")
    page.get_by_label("Role").select_option(label="Engineer")
    expect(page.get_by_label("Site (customers)")).to_be_hidden()
    page.get_by_label("Alder & Finch LLP").check()
    screenshot("invite-filled")
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.get_by_text("Invitation sent to nina@msp.example.")).to_be_visible()
    expect(page.get_by_test_id("invitations")).to_contain_text("nina@msp.example")
    screenshot("invitation-sent")
    page.get_by_role("button", name="Log out").click()

    [message] = [sent for sent in mail.outbox if sent.to == ["nina@msp.example"]]
    [link] = re.findall(rf"{re.escape(live_server.url)}/accounts/invitation/\S+/", message.body)
    page.goto(link)
    expect(page.get_by_text("Your username is nina@msp.example.")).to_be_visible()
    page.get_by_label("Your name").fill("Nina Newcomer")
    page.get_by_label("New password", exact=True).fill("fresh-long-passphrase-for-nina")
    page.get_by_label("New password confirmation").fill("fresh-long-passphrase-for-nina")
    screenshot("password-chosen")
    page.get_by_role("button", name="Set my password and log in").click()

    expect(page.get_by_role("heading", name="Queue")).to_be_visible()
    expect(page.get_by_text("Welcome, Nina Newcomer. Your account is ready.")).to_be_visible()
    expect(page.get_by_test_id("queue-title")).to_have_count(1)
    expect(page.get_by_test_id("queue-title")).to_have_text("Alder's scanner is offline")
    expect(page.get_by_text("Birchwood's badge reader beeps")).to_have_count(0)
    screenshot("queue-of-one-site")
    assert list(User.objects.get(username="nina@msp.example").profile.covered_sites.all()) == [site_a]

    page.goto(link)
    expect(page.get_by_test_id("refusal")).to_have_text(
        "This invitation link was used already. Log in with your email address and password."
    )
