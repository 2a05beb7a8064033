"""Writes for people: invitations, accepting one, role and coverage edits, deactivation.

Every change an admin makes is audited (helpdesk.audit) inside the same transaction. Accounts are made
through helpdesk.services.user_create, so an invited engineer is the same kind of row as a seeded one.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from helpdesk.audit import audit_record, snapshot
from helpdesk.models import Site, User
from helpdesk.services import profile_ensure, user_create
from people.models import Invitation
from people.notifications import invitation_email_send

USER_FIELDS = ("role", "site", "is_active")
PROFILE_FIELDS = ("covered_sites", "expertise", "capacity", "is_available")
INVITATION_FIELDS = ("email", "role", "site", "covered_sites", "expires_at")


class InvitationInvalid(Exception):
    """A link that cannot be used (any more); the message says why, in a sentence."""


@dataclass(frozen=True)
class SentInvitation:
    invitation: Invitation
    emailed: bool


def _person_state(user: User) -> dict:
    return {**snapshot(user, USER_FIELDS), **snapshot(profile_ensure(user=user), PROFILE_FIELDS)}


def _audit_site(user: User) -> Site | None:
    """A customer's changes belong to their site's trail; an engineer or admin spans sites."""
    return user.site if user.role == User.Role.CUSTOMER else None


def _email_taken(email: str) -> bool:
    return (
        User.objects.filter(email__iexact=email).exists()
        or User.objects.filter(username__iexact=email).exists()
    )


def _issue(invitation: Invitation) -> str:
    """A fresh token for the invitation (stored hashed) and a fresh expiry."""
    token = secrets.token_urlsafe(32)
    invitation.token_hash = Invitation.hash_token(token)
    invitation.expires_at = timezone.now() + timedelta(days=settings.PEOPLE_INVITATION_DAYS)
    return token


def invitation_create(
    *, actor: User, email: str, role: str, site: Site | None = None, covered_sites: Iterable[Site] = ()
) -> SentInvitation:
    """Invite a customer of one site or an engineer covering sites, and email the link. An earlier
    pending invitation of the same address is replaced: only the newest link works."""
    email = email.strip().lower()
    covered_sites = list(covered_sites)
    if role not in Invitation.Role.values:
        raise ValidationError("Invite a customer or an engineer.")
    if role == Invitation.Role.CUSTOMER and site is None:
        raise ValidationError({"site": "Choose the site this customer belongs to."})
    if role == Invitation.Role.ENGINEER and not covered_sites:
        raise ValidationError({"covered_sites": "Choose at least one site this engineer covers."})
    if len(email) > User._meta.get_field("username").max_length:
        raise ValidationError({"email": "This address is too long to be a username."})
    if _email_taken(email):
        raise ValidationError({"email": f"{email} already has an account: edit that person instead."})
    with transaction.atomic():
        # The audit trail keeps the earlier invitations; their rows (and links) go.
        Invitation.objects.filter(email=email, used_at__isnull=True).delete()
        invitation = Invitation(
            email=email,
            role=role,
            site=site if role == Invitation.Role.CUSTOMER else None,
            invited_by=actor,
        )
        token = _issue(invitation)
        invitation.save()
        if role == Invitation.Role.ENGINEER:
            invitation.covered_sites.set(covered_sites)
        audit_record(
            actor=actor,
            action="invited",
            instance=invitation,
            site=invitation.site,
            after=snapshot(invitation, INVITATION_FIELDS),
        )
    return SentInvitation(invitation, invitation_email_send(invitation=invitation, token=token))


def invitation_resend(*, actor: User, invitation: Invitation) -> SentInvitation:
    """A new link (and expiry) for a pending invitation; the old link stops working."""
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if invitation.used_at is not None:
            raise ValidationError("This invitation was accepted already.")
        if _email_taken(invitation.email):
            raise ValidationError(f"{invitation.email} already has an account: edit that person instead.")
        before = snapshot(invitation, INVITATION_FIELDS)
        token = _issue(invitation)
        invitation.save(update_fields=["token_hash", "expires_at"])
        audit_record(
            actor=actor,
            action="re-sent",
            instance=invitation,
            site=invitation.site,
            before=before,
            after=snapshot(invitation, INVITATION_FIELDS),
        )
    return SentInvitation(invitation, invitation_email_send(invitation=invitation, token=token))


def invitation_check(invitation: Invitation | None) -> Invitation:
    """The invitation if its link still works, else InvitationInvalid saying why."""
    if invitation is None:
        raise InvitationInvalid("This invitation link is not valid. Ask your helpdesk admin for a new one.")
    if invitation.used_at is not None:
        raise InvitationInvalid(
            "This invitation link was used already. Log in with your email address and password."
        )
    if invitation.expires_at <= timezone.now():
        raise InvitationInvalid("This invitation link has expired. Ask your helpdesk admin for a new one.")
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, password: str, display_name: str) -> User:
    """Make the invitee's account from the invitation, once: the row is locked, so two clicks on the same
    link make one account and the second is refused. The password is validated by the caller's form."""
    invitation = invitation_check(
        Invitation.objects.select_for_update().filter(token_hash=Invitation.hash_token(token)).first()
    )
    if _email_taken(invitation.email):
        raise InvitationInvalid("This email address already has an account. Log in instead.")
    first_name, _, last_name = display_name.strip().partition(" ")
    user = user_create(
        username=invitation.email,
        password=password,
        role=invitation.role,
        email=invitation.email,
        first_name=first_name,
        last_name=last_name,
        site=invitation.site,
        covered_sites=invitation.covered_sites.all(),
    )
    invitation.used_at = timezone.now()
    invitation.user = user
    invitation.save(update_fields=["used_at", "user"])
    audit_record(
        actor=user, action="joined", instance=user, site=_audit_site(user), after=_person_state(user)
    )
    return user


@transaction.atomic
def person_update(
    *,
    actor: User,
    person: User,
    role: str,
    site: Site | None = None,
    covered_sites: Iterable[Site] = (),
    expertise: Iterable[str] = (),
    capacity: int | None = None,
    is_available: bool | None = None,
) -> User:
    """Set a person's role and what goes with it. Coverage, expertise, capacity and availability are an
    engineer's; for a customer or an admin they are cleared or left alone, never shown."""
    person = User.objects.select_for_update().get(pk=person.pk)
    if role not in User.Role.values:
        raise ValidationError({"role": "Choose customer, engineer or admin."})
    if person.pk == actor.pk and role != person.role:
        raise ValidationError({"role": "You cannot change your own role: ask another admin."})
    if role == User.Role.CUSTOMER and site is None:
        raise ValidationError({"site": "Choose the site this customer belongs to."})
    profile = profile_ensure(user=person)
    before = _person_state(person)
    person.role = role
    person.site = site if role == User.Role.CUSTOMER else None
    # The Django admin follows the role, as for accounts made by user_create.
    person.is_staff = person.is_superuser = role == User.Role.ADMIN
    person.save(update_fields=["role", "site", "is_staff", "is_superuser"])
    if role == User.Role.ENGINEER:
        covered_sites = list(covered_sites)
        profile.covered_sites.set(covered_sites)
        profile.expertise = sorted(set(expertise))
        if capacity is not None:
            profile.capacity = capacity
        if is_available is not None:
            profile.is_available = is_available
    else:
        profile.covered_sites.clear()
        profile.expertise = []
    profile.save(update_fields=["expertise", "capacity", "is_available"])
    audit_record(
        actor=actor,
        action="changed",
        instance=person,
        site=_audit_site(person),
        before=before,
        after=_person_state(person),
    )
    return person


@transaction.atomic
def person_set_active(*, actor: User, person: User, active: bool) -> User:
    """Deactivate (or reactivate) a person: a deactivated account cannot log in, its sessions and API
    tokens stop working, and its tickets, messages and audit entries stay as they were."""
    person = User.objects.select_for_update().get(pk=person.pk)
    if person.pk == actor.pk:
        raise ValidationError("You cannot deactivate your own account: ask another admin.")
    if person.is_active == active:
        return person
    before = snapshot(person, ["is_active"])
    person.is_active = active
    person.save(update_fields=["is_active"])
    audit_record(
        actor=actor,
        action="reactivated" if active else "deactivated",
        instance=person,
        site=_audit_site(person),
        before=before,
        after=snapshot(person, ["is_active"]),
    )
    return person
