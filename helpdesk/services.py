"""Writes for sites and people."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from helpdesk.models import Profile, Site, User


@transaction.atomic
def site_create(
    *, name: str, slug: str, kind: str = "", contact_name: str = "", contact_email: str = ""
) -> Site:
    return Site.objects.create(
        name=name, slug=slug, kind=kind, contact_name=contact_name, contact_email=contact_email
    )


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str | None,
    role: str,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    site: Site | None = None,
    covered_sites: Iterable[Site] = (),
    expertise: Iterable[str] = (),
    capacity: int = 8,
    is_available: bool = True,
) -> User:
    """Create a user of one role with its profile; customers need a site, engineers cover sites."""
    if role == User.Role.CUSTOMER and site is None:
        raise ValueError("A customer belongs to a site.")
    user = User(
        username=username,
        email=email,
        first_name=first_name,
        last_name=last_name,
        role=role,
        site=site if role == User.Role.CUSTOMER else None,
        is_staff=role == User.Role.ADMIN,
        is_superuser=role == User.Role.ADMIN,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    profile = Profile.objects.create(
        user=user,
        display_name=f"{first_name} {last_name}".strip(),
        expertise=list(expertise),
        capacity=capacity,
        is_available=is_available,
    )
    if role == User.Role.ENGINEER:
        profile.covered_sites.set(covered_sites)
    return user


def profile_ensure(*, user: User) -> Profile:
    """Users made outside user_create (createsuperuser, admin) get their profile on first need."""
    profile, _ = Profile.objects.get_or_create(user=user)
    return profile
