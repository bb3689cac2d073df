"""Imports and exports: the entry points the commands (and later the admin) call."""

from collections.abc import Callable
from contextlib import contextmanager

from django.db import transaction

from byline.lib.bulk import bulk_change
from byline.porting import ghost
from byline.porting.ghost_import import GhostImporter
from byline.porting.report import ImportFailed, Report


def import_ghost(
    path: str,
    *,
    on_conflict: str = "skip",
    dry_run: bool = False,
    default_author: str | None = None,
    old_url: str = "",
    with_settings: bool = True,
    progress: Callable[[int, int], None] | None = None,
    images: str | None = None,
) -> Report:
    """Import a Ghost JSON export. All or nothing: ImportFailed (or any error) leaves the site unchanged."""
    export = ghost.read_export(path)
    options = {"old_url": old_url, "with_settings": with_settings}
    return _run_archive_import(
        lambda report, **common: GhostImporter(export, report, **options, **common),
        str(path),
        on_conflict=on_conflict,
        dry_run=dry_run,
        default_author=default_author,
        progress=progress,
        images=images,
    )


def _run_archive_import(make_importer, source: str, *, dry_run: bool, images, **common) -> Report:
    """One archive import, all or nothing: a transaction around it (rolled back for a dry run), and the
    --images files removed again if it fails.

    It is a bulk change (byline.lib.bulk): related lists, search, the page cache and webhooks skip
    their per-story work and catch up once the import has committed. The block sits inside the
    transaction so that a dry run or a failure, rolled back, announces nothing."""
    report = Report(source=source, dry_run=dry_run)
    with _image_library(images, report, dry_run) as library, transaction.atomic(), bulk_change("import"):
        make_importer(report, images=library, **common).run()
        if dry_run:
            transaction.set_rollback(True)
    return report


@contextmanager
def _image_library(source: str | None, report: Report, dry_run: bool):
    """The --images folder or zip for an import; its files are removed again if the import fails."""
    if not source:
        yield None
        return
    from byline.porting.images import ImageLibrary

    library = ImageLibrary(source, report, dry_run=dry_run)
    try:
        yield library
    except BaseException:
        library.remove_created_files()
        raise
    finally:
        library.close()


def import_members(path: str, *, newsletter: str | None = None, dry_run: bool = False) -> Report:
    """Import a members CSV (Ghost's columns). Bad rows are reported and skipped; the rest go in at once."""
    from django.apps import apps

    from byline.members import services as members
    from byline.porting.members_csv import read_members

    report = Report(source=str(path), dry_run=dry_run)
    Newsletter = apps.get_model("newsletters", "Newsletter")
    if newsletter:
        chosen = list(Newsletter.objects.filter(slug=newsletter))
        if not chosen:
            raise ImportFailed(f"--newsletter {newsletter}: no newsletter has that slug.")
    else:
        chosen = list(Newsletter.objects.active().filter(subscribe_on_signup=True))
    parsed = read_members(path, report)
    with transaction.atomic():
        created, existing = members.import_members(parsed.rows, newsletters=chosen)
        report.count("member", "created", created)
        report.count("member", "existing", existing)
        if dry_run:
            transaction.set_rollback(True)
    return report


def export_members(stream, queryset=None) -> int:
    """Write Ghost's member CSV to a text stream; the number of members written."""
    import csv

    from byline.members.models import Member
    from byline.porting.members_csv import EXPORT_COLUMNS, export_rows

    writer = csv.DictWriter(stream, fieldnames=EXPORT_COLUMNS)
    writer.writeheader()
    count = 0
    for row in export_rows(queryset if queryset is not None else Member.objects.order_by("created_at", "pk")):
        writer.writerow(row)
        count += 1
    return count


def export_ghost(path: str, *, progress=None) -> dict:
    """Write the site as a Ghost JSON export to `path`; the counts of what was written."""
    import json
    import os
    import tempfile

    from byline.porting.ghost_export import build_export

    document = build_export(progress=progress)
    directory = os.path.dirname(os.path.abspath(path))
    # Written beside the target then renamed: a failed export never leaves half a file behind.
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=directory, delete=False, suffix=".part"
    ) as out:
        json.dump(document, out, ensure_ascii=False)
    os.replace(out.name, path)
    data = document["db"][0]["data"]
    return {table: len(rows) for table, rows in data.items()}


def import_redirects(path: str, *, dry_run: bool = False) -> Report:
    """Import Ghost's redirects.json or redirects.yaml into Wagtail redirects."""
    from byline.porting.redirects import import_rules, read_rules

    report = Report(source=str(path), dry_run=dry_run)
    rules = read_rules(path)
    with transaction.atomic():
        import_rules(rules, report)
        if dry_run:
            transaction.set_rollback(True)
    return report


def import_wordpress(
    path: str,
    *,
    on_conflict: str = "skip",
    dry_run: bool = False,
    default_author: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    images: str | None = None,
) -> Report:
    """Import a WordPress WXR export. All or nothing, like the Ghost import."""
    from byline.porting.wordpress import WordPressImporter

    return _run_archive_import(
        lambda report, **common: WordPressImporter(str(path), report, **common),
        str(path),
        on_conflict=on_conflict,
        dry_run=dry_run,
        default_author=default_author,
        progress=progress,
        images=images,
    )
