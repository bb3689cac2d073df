"""Members' routes, mounted at /members/ (Ghost's paths)."""

from django.urls import path

from byline.members import views

app_name = "members"

urlpatterns = [
    path("", views.confirm, name="confirm"),
    path("api/send-magic-link/", views.send_magic_link, name="send_magic_link"),
    path("api/member/", views.member, name="member"),
    path("api/session/", views.session, name="session"),
]
