"""Background work that belongs to the site as a whole."""

from django.utils import timezone
from django_tasks import task


@task(queue_name="default")
def ping() -> str:
    """Prove the background worker is taking tasks: enqueue it and watch its result turn successful.

    `byline shell -c "from byline.core.tasks import ping; print(ping.enqueue().id)"`, then
    `ping.get_result(that_id).status` is SUCCESSFUL once a worker has run it.
    """
    return timezone.now().isoformat()
