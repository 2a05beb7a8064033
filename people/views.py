"""People pages: admins list, invite and edit people; an invitee accepts a link and sets a password.

Every management page answers 404 to anyone but an admin (as the other admin pages do): a customer or
an engineer learns nothing, not even that the page exists. Views validate a form, call one service or
selector, and redirect; a service's refusal comes back as a sentence on the form.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from helpdesk.forms import add_service_errors
from helpdesk.models import User
from helpdesk.tenancy import admin_only
from people import selectors, services
from people.forms import InvitationAcceptForm, InviteForm, PeopleFilterForm, PersonForm

PAGE_SIZE = 50


def _sent(request: HttpRequest, sent: services.SentInvitation) -> None:
    email = sent.invitation.email
    if sent.emailed:
        messages.success(request, f"Invitation sent to {email}.")
    else:
        messages.warning(
            request, f"The invitation to {email} is saved, but the email could not be sent: send it again."
        )


@admin_only
def person_list(request: HttpRequest) -> HttpResponse:
    form = PeopleFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    site = filters.get("site")
    people = selectors.people_for_user(
        request.user,
        role=filters.get("role", ""),
        site=site,
        query=filters.get("q", ""),
        status=filters.get("status", ""),
    )
    context = {
        "form": form,
        "page": Paginator(people, PAGE_SIZE).get_page(request.GET.get("page")),
        "invitations": selectors.invitations_pending(request.user, site=site),
    }
    query = request.GET.copy()
    query.pop("page", None)
    context["querystring"] = query.urlencode()
    return render(request, "people/person_list.html", context)


@admin_only
def invite(request: HttpRequest) -> HttpResponse:
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            sent = services.invitation_create(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            _sent(request, sent)
            return redirect("people:list")
    context = {"form": form, "days": settings.PEOPLE_INVITATION_DAYS}
    return render(request, "people/invite.html", context, status=422 if form.errors else 200)


@admin_only
@require_POST
def invitation_resend(request: HttpRequest, invitation_id: int) -> HttpResponse:
    invitation = selectors.invitation_get_for_user(request.user, invitation_id)
    try:
        _sent(request, services.invitation_resend(actor=request.user, invitation=invitation))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("people:list")


def _person_initial(person: User) -> dict:
    profile = getattr(person, "profile", None)
    initial = {"role": User.Role.ADMIN if person.is_helpdesk_admin else person.role, "site": person.site}
    if profile is not None:
        initial |= {
            "covered_sites": list(profile.covered_sites.all()),
            "expertise": profile.expertise,
            "capacity": profile.capacity,
            "is_available": profile.is_available,
        }
    return initial


@admin_only
def person_edit(request: HttpRequest, user_id: int) -> HttpResponse:
    person = selectors.person_get_for_user(request.user, user_id)
    form = PersonForm(request.POST or None, initial=_person_initial(person))
    if request.method == "POST" and form.is_valid():
        try:
            services.person_update(actor=request.user, person=person, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{person.display_name} was saved.")
            return redirect("people:edit", user_id=person.pk)
    context = {"person": person, "form": form, "is_self": person.pk == request.user.pk}
    return render(request, "people/person_edit.html", context, status=422 if form.errors else 200)


def _set_active(request: HttpRequest, user_id: int, *, active: bool) -> HttpResponse:
    person = selectors.person_get_for_user(request.user, user_id)
    try:
        services.person_set_active(actor=request.user, person=person, active=active)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if active:
            messages.success(request, f"{person.display_name} can log in again.")
        else:
            messages.success(
                request,
                f"{person.display_name} was deactivated: they can no longer log in; their history stays.",
            )
    return redirect("people:edit", user_id=person.pk)


@admin_only
@require_POST
def person_deactivate(request: HttpRequest, user_id: int) -> HttpResponse:
    return _set_active(request, user_id, active=False)


@admin_only
@require_POST
def person_reactivate(request: HttpRequest, user_id: int) -> HttpResponse:
    return _set_active(request, user_id, active=True)


def accept(request: HttpRequest, token: str) -> HttpResponse:
    """The invitee names themselves and sets a password, then is logged in as the new account."""
    invitation = selectors.invitation_for_token(token)
    try:
        services.invitation_check(invitation)
    except services.InvitationInvalid as error:
        return render(
            request, "people/accept.html", {"refusal": str(error)}, status=410 if invitation else 404
        )
    account = User(username=invitation.email, email=invitation.email)
    form = InvitationAcceptForm(account, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.invitation_accept(
                token=token,
                password=form.cleaned_data["new_password1"],
                display_name=form.cleaned_data["display_name"],
            )
        except services.InvitationInvalid as error:
            return render(request, "people/accept.html", {"refusal": str(error)}, status=410)
        if request.user.is_authenticated:
            logout(request)
        login(request, user)
        messages.success(request, f"Welcome, {user.display_name}. Your account is ready.")
        return redirect("home")
    context = {"invitation": invitation, "form": form}
    return render(request, "people/accept.html", context, status=422 if form.errors else 200)
