from django.urls import path

from byline.search import views

urlpatterns = [path("search/", views.search, name="search")]
