"""`byline import ghost <export.json>`, `byline import wordpress <export.xml>`,
`byline import members <members.csv>` and `byline import redirects <redirects.json|yaml>`."""

from django.core.management.base import BaseCommand, CommandError

from byline.lib.progress import ProgressBar
from byline.porting import services
from byline.porting.archive import ON_CONFLICT
from byline.porting.report import ImportFailed


class Command(BaseCommand):
    help = "Import a Ghost JSON export or a members CSV. All or nothing; --dry-run changes nothing."

    def add_arguments(self, parser):
        parser.add_argument(
            "kind", choices=["ghost", "wordpress", "members", "redirects"], help="what the file is"
        )
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="report what would happen; change nothing")
        ghost = parser.add_argument_group("ghost and wordpress")
        ghost.add_argument(
            "--on-conflict",
            choices=ON_CONFLICT,
            default="skip",
            help="when a slug is already used here: skip the record (default), rename it, or overwrite",
        )
        ghost.add_argument("--default-author", help="slug of the author credited where the file names none")
        ghost.add_argument("--old-url", default="", help="the old site's address, e.g. https://old.example")
        ghost.add_argument("--no-settings", action="store_true", help="keep this site's settings")
        ghost.add_argument("--images", help="a folder or zip with the old site's images (content/images/…)")
        members = parser.add_argument_group("members")
        members.add_argument("--newsletter", help="subscribe new members to this newsletter (slug)")

    def handle(self, *args, **options):
        if options["kind"] == "ghost" and options["newsletter"]:
            raise CommandError("--newsletter is for `byline import members`.")
        bar = ProgressBar(self.stderr) if options["verbosity"] >= 1 else None
        try:
            if options["kind"] == "ghost":
                report = services.import_ghost(
                    options["file"],
                    on_conflict=options["on_conflict"],
                    dry_run=options["dry_run"],
                    default_author=options["default_author"],
                    old_url=options["old_url"],
                    with_settings=not options["no_settings"],
                    images=options["images"],
                    progress=(lambda done, total: bar("Stories and pages", done, total)) if bar else None,
                )
            elif options["kind"] == "wordpress":
                report = services.import_wordpress(
                    options["file"],
                    on_conflict=options["on_conflict"],
                    dry_run=options["dry_run"],
                    default_author=options["default_author"],
                    progress=(lambda done, total: bar("Stories and pages", done, total)) if bar else None,
                    images=options["images"],
                )
            elif options["kind"] == "redirects":
                report = services.import_redirects(options["file"], dry_run=options["dry_run"])
            else:
                report = services.import_members(
                    options["file"], newsletter=options["newsletter"], dry_run=options["dry_run"]
                )
        except ImportFailed as error:
            raise CommandError(f"{error} Nothing was imported.") from None
        finally:
            if bar:
                bar.close()
        for problem in report.problems:
            self.stderr.write(f"problem: {problem}")
        if report.missing_images:
            self.stderr.write(f"{len(report.missing_images)} image(s) left as links to the old site, e.g.:")
            for url in sorted(set(report.missing_images))[:10]:
                self.stderr.write(f"  {url}")
        self.stdout.write(report.table())
