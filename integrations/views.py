"""The profile page where people manage their personal API tokens; the held inbound mail page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from integrations import selectors, services
from integrations.forms import TokenForm
from tickets.errors import TicketError


@login_required
def tokens(request: HttpRequest) -> HttpResponse:
    """List and create tokens; a new token's secret is rendered in this one response and never again."""
    issued = None
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        issued = services.api_token_create(
            user=request.user, name=form.cleaned_data["name"], expires_at=form.expires_at()
        )
        form = TokenForm()
    response = render(
        request,
        "integrations/tokens.html",
        {"form": form, "issued": issued, "tokens": selectors.api_tokens_of_user(user=request.user)},
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = selectors.api_tokens_of_user(user=request.user).filter(pk=pk).first()
    if token is None:
        raise Http404("No such token.")
    services.api_token_revoke(token=token)
    messages.success(request, f"Revoked “{token.name}”. Scripts using it stop working now.")
    return redirect("integrations:tokens")


@login_required
def held_mail(request: HttpRequest) -> HttpResponse:
    """Inbound mail nobody could file by itself, for the engineers of its site to file or discard."""
    if not request.user.is_staff_member:
        raise Http404("No such page.")
    mails = [
        (mail, selectors.held_mail_customers(mail=mail))
        for mail in selectors.held_mails_for_user(user=request.user)
    ]
    return render(request, "integrations/held_mail.html", {"mails": mails})


def _held_mail_or_404(request: HttpRequest, pk: int):
    """Another site's mail, a handled one and a customer's request all answer the same 404."""
    mail = selectors.held_mails_for_user(user=request.user).filter(pk=pk).first()
    if mail is None:
        raise Http404("No such held email.")
    return mail


@login_required
@require_POST
def held_mail_file(request: HttpRequest, pk: int) -> HttpResponse:
    mail = _held_mail_or_404(request, pk)
    chosen = request.POST.get("requester", "")
    customers = selectors.held_mail_customers(mail=mail)
    requester = customers.filter(pk=int(chosen)).first() if chosen.isdigit() else None
    if requester is None:
        messages.error(request, "Choose the customer of this site the ticket is for.")
        return redirect("integrations:held_mail")
    try:
        ticket = services.held_mail_file(mail=mail, requester=requester, actor=request.user)
    except TicketError as error:
        messages.error(request, str(error))
        return redirect("integrations:held_mail")
    messages.success(request, f"Filed as ticket #{ticket.pk} for {requester.display_name}.")
    return redirect("tickets:detail", ticket.pk)


@login_required
@require_POST
def held_mail_discard(request: HttpRequest, pk: int) -> HttpResponse:
    mail = _held_mail_or_404(request, pk)
    try:
        services.held_mail_discard(mail=mail, actor=request.user)
    except TicketError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Discarded the email from {mail.sender or 'an unknown sender'}.")
    return redirect("integrations:held_mail")
