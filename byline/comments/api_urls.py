"""The members comments API, mounted at /members/api/comments/ (Ghost's paths)."""

from django.urls import path

from byline.comments import api

app_name = "comments_api"

urlpatterns = [
    path("", api.collection, name="collection"),
    path("counts/", api.counts, name="counts"),
    path("post/<int:story_id>/", api.browse, name="browse"),
    path("post/<int:story_id>/viewer/", api.viewer, name="viewer"),
    path("<int:pk>/", api.item, name="item"),
    path("<int:pk>/replies/", api.replies, name="replies"),
    path("<int:pk>/like/", api.like, name="like"),
    path("<int:pk>/report/", api.report, name="report"),
]
