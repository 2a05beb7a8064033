from django.urls import path

from integrations import views

app_name = "integrations"
urlpatterns = [
    path("tokens/", views.tokens, name="tokens"),
    path("tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
    path("mail/held/", views.held_mail, name="held_mail"),
    path("mail/held/<int:pk>/file/", views.held_mail_file, name="held_mail_file"),
    path("mail/held/<int:pk>/discard/", views.held_mail_discard, name="held_mail_discard"),
]
