from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse

from helpdesk.throttle import login_failure_record, login_success_record, login_throttle_check


def client_address(request: HttpRequest) -> str | None:
    # Behind the proxy, uvicorn --proxy-headers (trusted --forwarded-allow-ips) puts the real client
    # address into REMOTE_ADDR; we never read X-Forwarded-For ourselves, a client could forge it.
    return request.META.get("REMOTE_ADDR") or None


class GuardedLoginView(auth_views.LoginView):
    """Django's LoginView, refusing attempts once a username or an address has failed too often."""

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        username = request.POST.get("username", "")
        throttled = login_throttle_check(username=username, address=client_address(request))
        if throttled:
            form = self.refused_form(username=username, message=throttled.message)
            response = self.render_to_response(self.get_context_data(form=form), status=429)
            response["Retry-After"] = str(throttled.retry_after)
            return response
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
