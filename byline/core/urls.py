from django.urls import path

from byline.core import views

urlpatterns = [
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path("assets/publication.css", views.publication_css, name="publication_css"),
    path("healthz", views.healthz, name="healthz"),
]
