from django.urls import include, path, re_path

from byline.api import admin_views, services, views


def content_routes():
    routes = []
    for resource in (services.POSTS, services.PAGES, services.TAGS, services.AUTHORS):
        name = resource.name
        routes += [
            path(f"{name}/", views.browse_view(resource)),
            path(f"{name}/slug/<str:slug>/", views.read_view(resource)),
            path(f"{name}/<str:id>/", views.read_view(resource)),
        ]
    routes += [
        path("newsletters/", views.browse_view(services.NEWSLETTERS)),
        path("settings/", views.site_settings),
        path("tiers/", views.tiers),
        path("openapi.json", views.openapi_document),
        path("search-index/posts/", views.search_index_posts),
        path("search-index/authors/", views.search_index_authors),
        path("search-index/tags/", views.search_index_tags),
        re_path(r"^(?P<rest>.*)$", views.not_found),
    ]
    return routes


content = content_routes()
admin = [
    path("posts/", admin_views.posts),
    path("posts/slug/<str:slug>/", admin_views.post),
    path("posts/<str:id>/", admin_views.post),
    path("pages/", admin_views.pages),
    path("pages/slug/<str:slug>/", admin_views.page),
    path("pages/<str:id>/", admin_views.page),
    path("images/upload/", admin_views.upload_image),
    path("tags/", admin_views.tags),
    path("tags/slug/<str:slug>/", admin_views.tag),
    path("tags/<str:id>/", admin_views.tag),
    path("site/", admin_views.site),
    path("members/", admin_views.members),
    path("members/<str:id>/", admin_views.member),
    path("webhooks/", admin_views.webhooks),
    path("webhooks/<str:id>/", admin_views.webhook),
    re_path(r"^(?P<rest>.*)$", admin_views.not_found),
]

urlpatterns = [
    path("content/", include(content)),
    # Ghost's clients for older sites put the version in the path.
    re_path(r"^(?:v2|v3|v4|v5|canary)/content/", include(content)),
    path("admin/", include(admin)),
    re_path(r"^(?:v2|v3|v4|v5|canary)/admin/", include(admin)),
]
