from django.urls import path

from tickets import views

app_name = "tickets"
urlpatterns = [
    path("", views.portal, name="portal"),
    path("new/", views.ticket_new, name="create"),
    path("queue/", views.queue, name="queue"),
    path("queue/bulk/", views.queue_bulk, name="queue_bulk"),
    path("queue/views/", views.saved_view_create, name="saved_view_create"),
    path("queue/views/<int:pk>/delete/", views.saved_view_delete, name="saved_view_delete"),
    path("overview/", views.admin_overview, name="admin_overview"),
    path("<int:pk>/", views.ticket_detail, name="detail"),
    path("<int:pk>/reply/", views.ticket_reply, name="reply"),
    path("<int:pk>/transition/", views.ticket_transition, name="transition"),
    path("<int:pk>/assign/", views.ticket_assign, name="assign"),
    path("<int:pk>/take/", views.ticket_assign_me, name="assign_me"),
    path("<int:pk>/edit/", views.ticket_edit, name="edit"),
    path("<int:pk>/review/", views.ticket_review, name="review"),
    path("<int:pk>/merge/", views.ticket_merge, name="merge"),
    path("<int:pk>/draft/", views.ticket_draft, name="draft"),
    path("<int:pk>/draft/decide/", views.ticket_draft_decide, name="draft_decide"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
]
