from django.urls import path

from chat import views

app_name = "chat"
urlpatterns = [
    path("", views.index, name="index"),
    path("start/", views.start, name="start"),
    path("insights/", views.insights, name="insights"),
    path("<int:pk>/", views.conversation_detail, name="conversation"),
    path("<int:pk>/messages/", views.message_create, name="message_create"),
    path("<int:pk>/events/", views.feed, name="feed"),
    path("<int:pk>/messages/<int:message_pk>/answer/", views.answer, name="answer"),
    path("<int:pk>/resolve/", views.resolve, name="resolve"),
    path("<int:pk>/escalate/", views.escalate, name="escalate"),
    path("<int:pk>/close/", views.close, name="close"),
    path("<int:pk>/category/", views.category, name="category"),
    path("messages/<int:message_pk>/feedback/", views.feedback, name="feedback"),
]
