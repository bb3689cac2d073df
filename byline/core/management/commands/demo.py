"""`byline demo [--stories N] [--if-empty]`: load a demo publication (see byline/core/demo.py)."""

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor

from byline.core import demo


class Command(BaseCommand):
    help = (
        "Load a demo publication: settings, authors, tags, stories with generated text and pictures, "
        "an About page and an admin login. Running it again adds only what is missing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--stories",
            type=int,
            default=demo.DEFAULT_STORIES,
            help=f"How many stories (0 to {demo.MAX_STORIES}; default {demo.DEFAULT_STORIES}).",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing (but print the login) when the publication already has stories.",
        )

    def handle(self, *args, stories, if_empty, verbosity=1, **options):
        executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            raise CommandError("The database is not up to date: run `byline migrate` first.")

        def say(line: str) -> None:
            if verbosity >= 1:
                self.stdout.write(line)

        try:
            demo.load_demo(stories, if_empty=if_empty, say=say)
        except demo.DemoError as error:
            raise CommandError(str(error))
        self.stdout.write("")
        for line in demo.login_lines():
            self.stdout.write(self.style.SUCCESS(line))
