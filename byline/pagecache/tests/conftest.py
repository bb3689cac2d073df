import pytest
from django.core.cache import caches

from byline.pagecache import store


@pytest.fixture
def page_cache(settings):
    """The page cache on (the suite keeps it off), empty, with nothing remembered by this process."""
    settings.PAGECACHE_ENABLED = True
    caches["pages"].clear()
    store.forget_memo()
    yield
    caches["pages"].clear()
    store.forget_memo()


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """`with committed(): ...` runs what the block queued after commit, as a real request would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)
