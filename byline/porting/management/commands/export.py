"""`byline export <file.json>` (a Ghost-format export) and `byline export members <file.csv>`."""

from django.core.management.base import BaseCommand, CommandError

from byline.lib.progress import ProgressBar
from byline.porting import services


class Command(BaseCommand):
    help = "Export the site as a Ghost JSON export, or its members as Ghost's member CSV."

    def add_arguments(self, parser):
        parser.add_argument("what", nargs="+", metavar="[members] file")

    def handle(self, *args, what, **options):
        if what[0] == "members":
            if len(what) != 2:
                raise CommandError("usage: byline export members <file.csv>")
            try:
                with open(what[1], "w", encoding="utf-8", newline="") as out:
                    count = services.export_members(out)
            except OSError as error:
                raise CommandError(f"{what[1]}: cannot be written ({error.strerror or error}).") from None
            self.stdout.write(f"{count} members written to {what[1]}")
            return
        if len(what) != 1:
            raise CommandError("usage: byline export <file.json>  or  byline export members <file.csv>")
        bar = ProgressBar(self.stderr) if options["verbosity"] >= 1 else None
        try:
            counts = services.export_ghost(what[0], progress=bar)
        except OSError as error:
            raise CommandError(f"{what[0]}: cannot be written ({error.strerror or error}).") from None
        finally:
            if bar:
                bar.close()
        summary = ", ".join(f"{count} {table}" for table, count in counts.items())
        self.stdout.write(f"Written to {what[0]}: {summary}")
