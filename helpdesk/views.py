from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse


def _first_url(*names: str) -> str | None:
    for name in names:
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return None


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send each role to where its work starts."""
    user = request.user
    if user.is_helpdesk_admin:
        target = _first_url("tickets:admin_overview", "tickets:queue")
    elif user.is_engineer:
        target = _first_url("tickets:queue")
    else:
        target = _first_url("tickets:portal")
    if target:
        return redirect(target)
    return render(request, "helpdesk/home.html")


def health(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")
