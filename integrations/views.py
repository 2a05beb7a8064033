"""The profile page where people manage their personal API tokens."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from integrations import selectors, services
from integrations.forms import TokenForm


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
