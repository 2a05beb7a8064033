"""The project's URLs plus the integrations pages, until helpdesk/urls.py includes them itself."""

from django.urls import include, path

from helpdesk.urls import urlpatterns as project_urlpatterns

urlpatterns = [*project_urlpatterns, path("integrations/", include("helpdesk.integrations.urls"))]
