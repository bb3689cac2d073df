"""Members CSV in Ghost's format: reading it in (checked row by row) and writing it out.

Ghost's columns: `id, email, name, note, subscribed_to_emails, complimentary_plan, stripe_customer_id,
created_at, deleted_at, labels, tiers`. Headers are matched loosely (case, spaces, dashes and a few
common aliases); extra columns are ignored; only `email` is required. Bad rows are reported and
skipped, never fatal: the import of the other rows goes on.
"""

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError

from byline.lib.spreadsheet import safe_cell
from byline.members import services as members
from byline.porting.ghost import parse_date
from byline.porting.report import ImportFailed, Report, read_text

ALIASES = {
    "email_address": "email",
    "e_mail": "email",
    "mail": "email",
    "full_name": "name",
    "subscribed": "subscribed_to_emails",
    "subscribed_to_newsletter": "subscribed_to_emails",
    "notes": "note",
    "label": "labels",
    "created": "created_at",
    "signup_date": "created_at",
}
FALSE_WORDS = {"false", "0", "no", "n", "off", "unsubscribed"}
TRUE_WORDS = {"true", "1", "yes", "y", "on", "subscribed", ""}
EXPORT_COLUMNS = [
    "id", "email", "name", "note", "subscribed_to_emails", "complimentary_plan", "stripe_customer_id",
    "created_at", "deleted_at", "labels", "tiers", "newsletters",
]  # fmt: skip
MAX_FIELD = 100_000  # characters in one cell: anything longer is not a member's data


def header_key(header: str) -> str:
    key = re.sub(r"[\s\-]+", "_", (header or "").strip().strip("\ufeff").lower())
    return ALIASES.get(key, key)


@dataclass
class ParsedMembers:
    rows: list[members.ImportedMember] = field(default_factory=list)
    preview: list[dict] = field(default_factory=list)  # the first rows as read, for the admin preview


def read_members(
    path: str | Path, report: Report, *, preview_rows: int = 5, display_name: str | None = None
) -> ParsedMembers:
    """`display_name` names the file in messages when `path` is not the name people know (an upload)."""
    name = display_name or str(path)
    text = read_text(path, name, encoding_hint="Save the spreadsheet as “CSV UTF-8” and try again.")
    return parse_members(text, report, name=name, preview_rows=preview_rows)


def parse_members(
    text: str, report: Report, *, name: str = "members.csv", preview_rows: int = 5
) -> ParsedMembers:
    csv.field_size_limit(MAX_FIELD)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        headers = next(reader)
    except StopIteration:
        raise ImportFailed(
            f"{name}: is empty; a members CSV needs a header row with an email column."
        ) from None
    except csv.Error as error:
        raise ImportFailed(f"{name}: line 1 is not CSV ({error}).") from None
    keys = [header_key(header) for header in headers]
    if "email" not in keys:
        shown = ", ".join(header for header in headers if header.strip()) or "(none)"
        raise ImportFailed(f"{name}: has no email column (headers found: {shown}).")
    parsed = ParsedMembers()
    seen: set[str] = set()
    short = Path(name).name  # rows are reported as "members.csv line 12"
    line = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            line = reader.line_num
            report.problem(
                f"{name} line {line}", "", f"is not CSV ({error}); the rest of the file was not read"
            )
            break
        line = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        # NUL characters go: PostgreSQL refuses to store them and no one typed them.
        record = {
            key: cells[index].replace("\x00", "").strip()
            for index, key in enumerate(keys)
            if index < len(cells) and key
        }
        if len(parsed.preview) < preview_rows:
            parsed.preview.append({key: record.get(key, "") for key in keys if key})
        row = _member_row(record, f"{short} line {line}", report, seen)
        if row is not None:
            parsed.rows.append(row)
    return parsed


def _member_row(record: dict, where: str, report: Report, seen: set[str]):
    try:
        email = members.normalise_email(record.get("email", ""))
    except ValidationError as error:
        report.problem(where, "email", f"{record.get('email', '')!r}: {error.messages[0]} Skipped.")
        report.count("member", "skipped")
        return None
    if email in seen:
        report.problem(where, "email", f"{email} appears earlier in the file. Skipped.")
        report.count("member", "skipped")
        return None
    seen.add(email)
    if record.get("deleted_at"):
        report.problem(where, "deleted_at", f"{email} was deleted where it came from. Skipped.")
        report.count("member", "skipped")
        return None
    created_at = None
    if record.get("created_at"):
        try:
            created_at = parse_date(record["created_at"])
        except ValueError:
            report.problem(where, "created_at", f"{record['created_at']!r} is not a date; today is used.")
    subscribed_word = record.get("subscribed_to_emails", "").lower()
    if subscribed_word not in TRUE_WORDS | FALSE_WORDS:
        report.problem(
            where, "subscribed_to_emails", f"{subscribed_word!r} is not true or false; taken as true."
        )
    if record.get("complimentary_plan", "").lower() in ("true", "1") or record.get("stripe_customer_id"):
        report.problem(
            where, "complimentary_plan", "paid plans are not in Byline yet; imported as a free member."
        )
    labels = tuple(
        dict.fromkeys(label.strip()[:120] for label in record.get("labels", "").split(",") if label.strip())
    )
    return members.ImportedMember(
        email=email,
        name=members.clean_name(record.get("name", "")),
        note=record.get("note", "")[:2000],
        created_at=created_at,
        labels=labels,
        subscribed=subscribed_word not in FALSE_WORDS,
    )


def export_rows(queryset):
    """Ghost's member CSV rows (dicts) for `queryset` of members, cells safe for spreadsheets."""
    for member in queryset.prefetch_related("labels", "newsletters").iterator(chunk_size=2000):
        newsletters = [newsletter.slug for newsletter in member.newsletters.all()]
        row = {
            "id": str(member.uuid),
            "email": member.email,
            "name": member.name,
            "note": member.note,
            "subscribed_to_emails": "true" if newsletters and not member.email_disabled else "false",
            "complimentary_plan": "false",
            "stripe_customer_id": "",
            "created_at": member.created_at.isoformat(),
            "deleted_at": "",
            "labels": ",".join(label.name for label in member.labels.all()),
            "tiers": "",
            "newsletters": ",".join(newsletters),
        }
        yield {key: safe_cell(value) for key, value in row.items()}
