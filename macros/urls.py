from django.urls import path

from macros import views

app_name = "macros"
urlpatterns = [
    path("", views.macro_list, name="list"),
    path("new/", views.macro_create, name="create"),
    path("<int:pk>/edit/", views.macro_edit, name="edit"),
    path("tickets/<int:ticket_pk>/apply/", views.macro_apply, name="apply"),
]
