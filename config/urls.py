from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from config.api import api
from helpdesk import views
from helpdesk.guard.views import GuardedPasswordResetView

# A body beyond DATA_UPLOAD_MAX_MEMORY_SIZE is a 413, and every refused request gets a sentence.
handler400 = "helpdesk.views.bad_request"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.health, name="health"),
    # The admin's own login would bypass login throttling: send it to ours.
    path("admin/login/", RedirectView.as_view(pattern_name="login", query_string=True)),
    path("admin/", admin.site.urls),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/login/", include("helpdesk.guard.urls")),
    path("accounts/password_reset/", GuardedPasswordResetView.as_view(), name="password_reset"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/v1/", api.urls),
    path("tickets/", include("tickets.urls")),
    path("kb/", include("knowledge.urls")),
    path("chat/", include("chat.urls")),
    path("macros/", include("macros.urls")),
    path("integrations/", include("integrations.urls")),
    path("insights/", include("insights.urls")),
    path("manage/", include("administration.urls")),
    path("", include("people.urls")),  # manage/people/... and accounts/invitation/<token>/
    path("profile/", views.profile, name="profile"),
    path("profile/avatar/", views.profile_avatar, name="profile_avatar"),
    path("profile/password/", views.profile_password, name="profile_password"),
    path("profile/<int:user_id>/avatar.png", views.avatar_image, name="avatar_image"),
]
