"""`byline purgepages`: forget every cached page (and static-file page). Run it after deploying a new
theme or template: pages otherwise keep the old look until they are purged or expire."""

from django.core.management.base import BaseCommand

from byline.pagecache import purge_all


class Command(BaseCommand):
    help = "Forget every cached page, in every web process and the static-file folder."

    def handle(self, *args, **options):
        purge_all()
        self.stdout.write("Every cached page is stale now; readers get fresh pages from their next visit.")
