from django.urls import path

from helpdesk.guard.views import GuardedLoginView

urlpatterns = [path("", GuardedLoginView.as_view(), name="login")]
