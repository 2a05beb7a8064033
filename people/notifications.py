"""The invitation email: the one outside call of this app, behind one function.

The link names HELPDESK_BASE_URL, never the request's Host header (a forged Host would otherwise send
the invitee's one-time link to someone else's server). A mail failure is logged and reported back, so
the admin can send the invitation again; it never undoes the invitation.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse

from people.models import Invitation

logger = logging.getLogger(__name__)


def invitation_link(token: str) -> str:
    return settings.HELPDESK_BASE_URL.rstrip("/") + reverse("people:accept", args=[token])


def invitation_email_send(*, invitation: Invitation, token: str) -> bool:
    context = {
        "invitation": invitation,
        "link": invitation_link(token),
        "sites": [invitation.site] if invitation.site else list(invitation.covered_sites.all()),
        "inviter": invitation.invited_by.display_name if invitation.invited_by else "The helpdesk team",
    }
    body = render_to_string("people/invitation_email.txt", context)
    subject = "You are invited to Grounded Helpdesk"
    try:
        message = EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [invitation.email])
        message.extra_headers["Auto-Submitted"] = "auto-generated"
        message.send()
    except Exception:
        logger.exception("Could not send the invitation to %s", invitation.email)
        return False
    return True
