"""`byline integrations add <name>` and `byline integrations list`: keys as JSON for scripts and tests."""

import json

from django.core.management.base import BaseCommand, CommandError

from byline.api import services


class Command(BaseCommand):
    help = "Create or list the integrations that hold Content API and Admin API keys."

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="action", required=True)
        add = commands.add_parser("add", help="Create an integration and print its keys as JSON.")
        add.add_argument("name")
        add.add_argument("--description", default="")
        commands.add_parser("list", help="Print every integration and its keys as JSON.")

    def handle(self, *args, action, **options):
        if action == "add":
            try:
                integration = services.add_integration(options["name"], options["description"])
            except ValueError as error:
                raise CommandError(str(error))
            self.stdout.write(json.dumps(integration.as_json(), indent=2))
        else:
            self.stdout.write(json.dumps([i.as_json() for i in services.list_integrations()], indent=2))
