from django.urls import path

from insights import views

app_name = "insights"
urlpatterns = [
    path("", views.insights, name="insights"),
    path("export.csv", views.insights_csv, name="insights_csv"),
]
