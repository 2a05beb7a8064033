from django.urls import path

from people import views

app_name = "people"
urlpatterns = [
    path("manage/people/", views.person_list, name="list"),
    path("manage/people/invite/", views.invite, name="invite"),
    path("manage/people/<int:user_id>/", views.person_edit, name="edit"),
    path("manage/people/<int:user_id>/deactivate/", views.person_deactivate, name="deactivate"),
    path("manage/people/<int:user_id>/reactivate/", views.person_reactivate, name="reactivate"),
    path("manage/people/invitations/<int:invitation_id>/resend/", views.invitation_resend, name="resend"),
    # An account page, like the password reset links: the invitee has no account yet.
    path("accounts/invitation/<str:token>/", views.accept, name="accept"),
]
