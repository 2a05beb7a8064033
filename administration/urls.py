from django.urls import path

from administration import views

app_name = "administration"
urlpatterns = [
    path("", views.site_list, name="site_list"),
    path("sites/new/", views.site_create, name="site_create"),
    path("sites/<int:site_id>/", views.site_edit, name="site_edit"),
    path("sites/<int:site_id>/incidents/", views.incident_list, name="incident_list"),
    path(
        "sites/<int:site_id>/incidents/new/",
        views.incident_create,
        name="incident_create",
    ),
    path(
        "sites/<int:site_id>/incidents/<slug:incident_slug>/",
        views.incident_edit,
        name="incident_edit",
    ),
    path(
        "sites/<int:site_id>/incidents/<slug:incident_slug>/reset/",
        views.incident_reset,
        name="incident_reset",
    ),
    path("categories/", views.category_list, name="category_list"),
    path("categories/new/", views.category_create, name="category_create"),
    path("categories/<int:category_id>/", views.category_edit, name="category_edit"),
    path("tags/", views.tag_list, name="tag_list"),
    path("audit/", views.audit_log, name="audit_log"),
]
