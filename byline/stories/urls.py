from django.urls import path

from byline.stories import feeds, sitemaps, views

urlpatterns = [
    path("", views.home, name="home"),
    path("page/<int:page_number>/", views.home, name="home_page"),
    path("rss/", feeds.latest, name="rss"),
    path("tag/<slug:slug>/", views.tag_archive, name="tag"),
    path("tag/<slug:slug>/page/<int:page_number>/", views.tag_archive, name="tag_page"),
    path("tag/<slug:slug>/rss/", feeds.by_tag, name="tag_rss"),
    path("author/<slug:slug>/", views.author_archive, name="author"),
    path("author/<slug:slug>/page/<int:page_number>/", views.author_archive, name="author_page"),
    path("author/<slug:slug>/rss/", feeds.by_author, name="author_rss"),
    path("sitemap.xml", sitemaps.index, name="sitemap_index"),
    path("sitemap-news.xml", sitemaps.news, name="sitemap_news"),
    path("sitemap-<slug:section>.xml", sitemaps.section, name="sitemap_section"),
]
