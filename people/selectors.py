"""Reads for the people pages. Only admins manage people: for anyone else every read here is empty, so a
site-scoped user never reaches another site's people through these pages."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from helpdesk.models import Site, User
from people.models import Invitation
from tickets.models import Category


def people_for_user(
    user: User, *, role: str = "", site: Site | None = None, query: str = "", status: str = ""
) -> QuerySet[User]:
    """People an admin may manage, narrowed by role, site (its customers and the engineers covering
    it), active or deactivated, and a search over names and addresses."""
    if not user.is_helpdesk_admin:
        return User.objects.none()
    people = User.objects.select_related("site", "profile").prefetch_related("profile__covered_sites")
    if role == User.Role.ADMIN:
        people = people.filter(Q(role=role) | Q(is_superuser=True))
    elif role:
        people = people.filter(role=role, is_superuser=False)
    if site is not None:
        people = people.filter(Q(site=site) | Q(profile__covered_sites=site)).distinct()
    if status == "active":
        people = people.filter(is_active=True)
    elif status == "inactive":
        people = people.filter(is_active=False)
    for word in query.split()[:5]:
        people = people.filter(
            Q(username__icontains=word)
            | Q(email__icontains=word)
            | Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(profile__display_name__icontains=word)
        )
    return people.order_by("-is_active", "first_name", "last_name", "username")


def person_get_for_user(user: User, pk: int) -> User:
    person = people_for_user(user).filter(pk=pk).first()
    if person is None:
        raise Http404("No such person.")
    return person


def invitations_pending(user: User, *, site: Site | None = None) -> QuerySet[Invitation]:
    """Invitations not accepted yet, expired ones included (so an admin can send them again)."""
    if not user.is_helpdesk_admin:
        return Invitation.objects.none()
    pending = (
        Invitation.objects.filter(used_at__isnull=True)
        .select_related("site", "invited_by__profile")
        .prefetch_related("covered_sites")
    )
    if site is not None:
        pending = pending.filter(Q(site=site) | Q(covered_sites=site)).distinct()
    return pending


def invitation_get_for_user(user: User, pk: int) -> Invitation:
    invitation = invitations_pending(user).filter(pk=pk).first()
    if invitation is None:
        raise Http404("No such invitation.")
    return invitation


def invitation_for_token(token: str) -> Invitation | None:
    """The invitation a link names, looked up by the token's hash (the token itself is never stored)."""
    return Invitation.objects.select_related("site").filter(token_hash=Invitation.hash_token(token)).first()


def expertise_choices(*, sites) -> QuerySet[Category]:
    """The categories an engineer's expertise is chosen from. Categories are shared by every site today,
    so covering any site offers them all; covering none offers none."""
    if not list(sites):
        return Category.objects.none()
    return Category.objects.order_by("name")
