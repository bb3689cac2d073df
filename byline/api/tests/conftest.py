import pytest

from byline.api import services


@pytest.fixture
def integration(db):
    return services.add_integration("Test front end")


@pytest.fixture
def api(client, integration):
    """GET a Content API path with the integration's key: `api("posts/", include="tags")`."""

    def get(path, key=None, **params):
        params.setdefault("key", key or integration.content_key)
        return client.get(f"/ghost/api/content/{path}", params)

    return get


@pytest.fixture(autouse=True)
def forget_webhook_listeners():
    """Webhooks made in a test are rolled back with it; so must be the cached answer to "who listens?",
    or the next tests (other apps' too) would serialise events for nobody."""
    yield
    from byline.api.webhooks import forget_listened_events

    forget_listened_events()
