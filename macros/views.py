"""Macro pages: the list and editor for engineers and admins, and applying a macro on a ticket page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from helpdesk.forms import saved_through
from helpdesk.tenancy import visible_sites
from macros import selectors, services
from macros.forms import ApplyForm, MacroForm
from tickets.errors import TicketError
from tickets.selectors import ticket_get_for_user


def _staff(request: HttpRequest) -> None:
    if not request.user.is_staff_member:
        raise PermissionDenied("Only engineers and admins use macros.")


def _form(request: HttpRequest, **kwargs) -> MacroForm:
    user = request.user
    data = request.POST if request.method == "POST" else None
    return MacroForm(
        data, sites=selectors.editable_sites(user), allow_global=user.is_helpdesk_admin, **kwargs
    )


@login_required
def macro_list(request: HttpRequest) -> HttpResponse:
    _staff(request)
    user = request.user
    sites = visible_sites(user)
    site = sites.filter(pk=request.GET.get("site")).first() if request.GET.get("site", "").isdigit() else None
    macros = [
        (macro, selectors.can_edit_macro(user, macro)) for macro in selectors.macros_for_user(user, site=site)
    ]
    return render(request, "macros/macro_list.html", {"macros": macros, "sites": sites, "site": site})


@login_required
def macro_create(request: HttpRequest) -> HttpResponse:
    _staff(request)
    form = _form(request, initial={"is_active": True})
    if (
        request.method == "POST"
        and form.is_valid()
        and saved_through(form, lambda: services.macro_create(author=request.user, **form.cleaned_data))
    ):
        messages.success(request, "Macro saved.")
        return redirect("macros:list")
    return render(request, "macros/macro_form.html", {"form": form, "macro": None})


@login_required
def macro_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _staff(request)
    macro = selectors.macro_get_for_user(request.user, pk)
    if not selectors.can_edit_macro(request.user, macro):
        raise PermissionDenied("Only admins edit global macros.")
    initial = {
        "name": macro.name,
        "site": macro.site,
        "body": macro.body,
        "is_internal": macro.is_internal,
        "set_state": macro.set_state,
        "set_category": macro.set_category,
        "set_priority": macro.set_priority,
        "add_tags": ", ".join(macro.add_tags),
        "is_active": macro.is_active,
    }
    form = _form(request, initial=initial)
    form.fields["site"].disabled = True  # moving a macro between sites is not an edit
    if request.method == "POST" and form.is_valid():
        data = {key: value for key, value in form.cleaned_data.items() if key != "site"}
        if saved_through(form, lambda: services.macro_update(macro=macro, actor=request.user, **data)):
            messages.success(request, "Macro saved.")
            return redirect("macros:list")
    return render(request, "macros/macro_form.html", {"form": form, "macro": macro})


@require_POST
@login_required
def macro_apply(request: HttpRequest, ticket_pk: int) -> HttpResponse:
    ticket = ticket_get_for_user(user=request.user, pk=ticket_pk)
    _staff(request)
    form = ApplyForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a macro to apply.")
        return redirect("tickets:detail", pk=ticket.pk)
    macro = selectors.macro_get_for_user(request.user, form.cleaned_data["macro"])
    try:
        services.macro_apply(macro=macro, ticket=ticket, actor=request.user)
    except TicketError as error:
        messages.error(request, f"The macro “{macro.name}” was not applied: {error}")
    else:
        messages.success(request, f"Macro “{macro.name}” applied.")
    return redirect("tickets:detail", pk=ticket.pk)
