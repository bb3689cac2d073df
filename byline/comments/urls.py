"""Comment pages, mounted at /comments/ (a reserved slug)."""

from django.urls import path

from byline.comments import views

app_name = "comments"

urlpatterns = [
    path("<int:story_id>/", views.story_thread, name="story"),
    path("<int:story_id>/write/", views.write, name="write"),
    path("replies/<int:pk>/", views.replies, name="replies"),
    path("notifications/off/<str:token>/", views.replies_off, name="replies_off"),
]
