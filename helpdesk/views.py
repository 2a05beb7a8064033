from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import RequestDataTooBig
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_POST

from helpdesk.forms import AvatarForm, ProfileForm
from helpdesk.models import User
from helpdesk.security import NulInQuery, body_too_large_message
from helpdesk.services import profile_ensure
from helpdesk.tenancy import can_see_site


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


ERROR_TITLES = {400: "Bad request", 413: "Too large"}


def error_page(request: HttpRequest, *, status: int, message: str) -> HttpResponse:
    return render(
        request, "helpdesk/error.html", {"title": ERROR_TITLES[status], "message": message}, status=status
    )


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's 400 handler (handler400): a body beyond DATA_UPLOAD_MAX_MEMORY_SIZE is a 413 that says the
    limit; any other refused request a 400 that says so in a sentence."""
    if isinstance(exception, RequestDataTooBig):
        return error_page(request, status=413, message=body_too_large_message())
    if isinstance(exception, NulInQuery):
        return error_page(request, status=400, message=str(exception))
    return error_page(
        request, status=400, message="The request could not be understood. Go back and try again."
    )


# --- Profile: display name and contact, picture, password --------------------------------------------


def _profile_page(request: HttpRequest, *, status: int = 200, **forms) -> HttpResponse:
    profile = profile_ensure(user=request.user)
    context = {
        "profile": profile,
        "details_form": forms.get("details_form") or ProfileForm(instance=profile),
        "avatar_form": forms.get("avatar_form") or AvatarForm(),
        "password_form": forms.get("password_form") or PasswordChangeForm(request.user),
    }
    return render(request, "helpdesk/profile.html", context, status=status)


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    """The signed-in user's own profile; POST saves the display name and contact phone."""
    if request.method != "POST":
        return _profile_page(request)
    form = ProfileForm(request.POST, instance=profile_ensure(user=request.user))
    if not form.is_valid():
        return _profile_page(request, status=422, details_form=form)
    form.save()
    messages.success(request, "Your profile was saved.")
    return redirect("profile")


@login_required
@require_POST
def profile_avatar(request: HttpRequest) -> HttpResponse:
    form = AvatarForm(request.POST, request.FILES)
    if not form.is_valid():
        return _profile_page(request, status=422, avatar_form=form)
    form.save(profile=profile_ensure(user=request.user))
    messages.success(request, "Your profile picture was updated.")
    return redirect("profile")


@login_required
@require_POST
def profile_password(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.user, request.POST)
    if not form.is_valid():
        return _profile_page(request, status=422, password_form=form)
    user = form.save()
    # Keep this session signed in; other sessions of the user end with the old password.
    update_session_auth_hash(request, user)
    messages.success(
        request,
        "Your password was changed. Your personal API tokens were revoked; create new ones under API tokens "
        "if your scripts need them.",
    )
    return redirect("profile")


@login_required
def avatar_image(request: HttpRequest, user_id: int) -> HttpResponse:
    """A profile picture: your own, the helpdesk's people, or (for staff) users of the sites they see."""
    target = get_object_or_404(User.objects.select_related("profile"), pk=user_id, is_active=True)
    viewer = request.user
    visible = (
        target.pk == viewer.pk
        or target.is_staff_member
        or (viewer.is_staff_member and target.site_id is not None and can_see_site(viewer, target.site_id))
    )
    avatar = getattr(target, "profile", None) and target.profile.avatar
    if not visible or not avatar:
        raise Http404("No picture.")
    response = FileResponse(avatar.open("rb"), content_type="image/png")
    response["Cache-Control"] = "private, max-age=300"
    return response
