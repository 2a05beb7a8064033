from django.conf import settings
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse

from helpdesk.throttle import (
    Throttled,
    login_failure_record,
    login_success_record,
    login_throttle_check,
    password_reset_throttle_hit,
)


def client_address(request: HttpRequest) -> str | None:
    # Behind the proxy, uvicorn --proxy-headers (trusted --forwarded-allow-ips) puts the real client
    # address into REMOTE_ADDR; we never read X-Forwarded-For ourselves, a client could forge it.
    return request.META.get("REMOTE_ADDR") or None


def too_many_attempts(view, *, form, throttled: Throttled) -> HttpResponse:
    """The view's own page, its form carrying the refusal, as a 429 with Retry-After."""
    response = view.render_to_response(view.get_context_data(form=form), status=429)
    response["Retry-After"] = str(throttled.retry_after)
    return response


class GuardedLoginView(auth_views.LoginView):
    """Django's LoginView, refusing attempts once a username or an address has failed too often."""

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        username = request.POST.get("username", "")
        throttled = login_throttle_check(username=username, address=client_address(request))
        if throttled:
            form = self.refused_form(username=username, message=throttled.message)
            return too_many_attempts(self, form=form, throttled=throttled)
        return super().post(request, *args, **kwargs)

    def refused_form(self, *, username: str, message: str):
        """The login form carrying only the refusal: validating the posted one would check the password."""

        class RefusedForm(self.get_form_class()):
            def clean(self):
                raise ValidationError(message, code="throttled")

        form = RefusedForm(self.request, data={"username": username, "password": "-"})
        form.is_valid()
        return form

    def form_valid(self, form):
        login_success_record(username=self.request.POST.get("username", ""))
        return super().form_valid(form)

    def form_invalid(self, form):
        username = self.request.POST.get("username", "")
        if username and self.request.POST.get("password"):
            login_failure_record(username=username, address=client_address(self.request))
        return super().form_invalid(form)


class GuardedPasswordResetView(auth_views.PasswordResetView):
    """Django's password reset, refusing once an email address or a client address has asked too often."""

    @property
    def extra_email_context(self) -> dict:
        # The link names our configured address, never the request's Host header.
        return {"base_url": settings.HELPDESK_BASE_URL.rstrip("/")}

    def form_valid(self, form):
        throttled = password_reset_throttle_hit(
            email=form.cleaned_data["email"], address=client_address(self.request)
        )
        if throttled:
            form.add_error(None, throttled.message)
            return too_many_attempts(self, form=form, throttled=throttled)
        return super().form_valid(form)
