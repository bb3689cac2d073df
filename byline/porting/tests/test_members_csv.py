"""Members CSV in Ghost's format: import with bad rows reported, export, and the command."""

import csv
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from byline.members.models import Label, Member
from byline.newsletters.models import Newsletter
from byline.porting import services
from byline.porting.report import ImportFailed

pytestmark = pytest.mark.django_db

GHOST_HEADER = (
    "id,email,name,note,subscribed_to_emails,complimentary_plan,stripe_customer_id,"
    "created_at,deleted_at,labels,tiers"
)


@pytest.fixture
def write_csv(tmp_path):
    def write(text, name="members.csv", encoding="utf-8"):
        path = tmp_path / name
        path.write_bytes(text.encode(encoding))
        return str(path)

    return write


@pytest.fixture
def newsletters(db):
    return {
        "daily": Newsletter.objects.create(name="Daily", slug="daily", subscribe_on_signup=True),
        "special": Newsletter.objects.create(name="Special", slug="special", subscribe_on_signup=False),
    }


def ghost_rows(count: int, bad_every: int = 10) -> str:
    """`count` rows in Ghost's columns; every `bad_every`-th row has a broken address."""
    lines = [GHOST_HEADER]
    for number in range(count):
        email = f"reader{number}@example" if number % bad_every == 0 else f"Reader{number}@Example.com"
        subscribed = "false" if number % 7 == 0 else "true"
        labels = '"Import 2026,VIP"' if number % 5 == 0 else "Import 2026"
        created = f"2024-0{1 + number % 9}-15T10:00:00.000Z"
        lines.append(f"x{number},{email},Reader {number},,{subscribed},false,,{created},,{labels},")
    return "\n".join(lines) + "\n"


def test_a_ghost_members_csv_with_ten_percent_bad_rows(write_csv, newsletters):
    report = services.import_members(write_csv(ghost_rows(100)))
    assert Member.objects.count() == 90
    assert report.get("member", "created") == 90 and report.get("member", "skipped") == 10
    assert len(report.problems) == 10
    assert all(problem.field == "email" for problem in report.problems)
    assert str(report.problems[0]).startswith("members.csv line 2: email: 'reader0@example'")
    member = Member.objects.get(email="reader1@example.com")  # stored lower-cased
    assert member.name == "Reader 1"
    assert member.created_at.year == 2024 and member.created_at.month == 2
    assert list(member.newsletters.values_list("slug", flat=True)) == ["daily"]
    unsubscribed = Member.objects.get(email="reader7@example.com")
    assert not unsubscribed.newsletters.exists()
    assert set(Member.objects.get(email="reader5@example.com").labels.values_list("name", flat=True)) == {
        "Import 2026",
        "VIP",
    }
    assert Label.objects.count() == 2


def test_headers_are_matched_loosely_and_extra_columns_ignored(write_csv, newsletters):
    text = "Email Address, Full Name ,Favourite colour,Subscribed\nann@example.com,Ann Other,blue,no\n"
    services.import_members(write_csv(text), newsletter="special")
    member = Member.objects.get()
    assert (member.email, member.name) == ("ann@example.com", "Ann Other")
    assert not member.newsletters.exists()


def test_the_newsletter_option_chooses_the_newsletter(write_csv, newsletters):
    services.import_members(write_csv("email\nbo@example.com\n"), newsletter="special")
    assert list(Member.objects.get().newsletters.values_list("slug", flat=True)) == ["special"]
    with pytest.raises(ImportFailed, match="--newsletter nope: no newsletter has that slug"):
        services.import_members(write_csv("email\ncy@example.com\n"), newsletter="nope")


def test_duplicates_deleted_rows_and_existing_members(write_csv, newsletters):
    existing = Member.objects.create(email="old@example.com", name="Old Name")
    text = (
        "email,name,deleted_at,labels\n"
        "old@example.com,New Name,,Returning\n"
        "dup@example.com,First,,\n"
        "DUP@example.com,Second,,\n"
        "gone@example.com,Gone,2025-01-01T00:00:00Z,\n"
    )
    report = services.import_members(write_csv(text))
    existing.refresh_from_db()
    assert existing.name == "Old Name"  # an import never rewrites a member's own data
    assert list(existing.labels.values_list("name", flat=True)) == ["Returning"]
    assert not existing.newsletters.exists()  # nor their subscriptions
    assert Member.objects.get(email="dup@example.com").name == "First"
    assert not Member.objects.filter(email="gone@example.com").exists()
    assert report.get("member", "existing") == 1 and report.get("member", "created") == 1
    assert {problem.field for problem in report.problems} == {"email", "deleted_at"}


@pytest.mark.parametrize(
    ("text", "encoding", "message"),
    [
        ("", "utf-8", "is empty"),
        ("name,note\nAnn,hello\n", "utf-8", "has no email column (headers found: name, note)"),
        ("email,name\nzoë@example.com,Zoë\n", "latin-1", "is not UTF-8"),
    ],
)
def test_files_that_cannot_be_read_as_members_are_refused_whole(
    write_csv, newsletters, text, encoding, message
):
    with pytest.raises(ImportFailed, match=message.replace("(", r"\(").replace(")", r"\)")):
        services.import_members(write_csv(text, encoding=encoding))
    assert not Member.objects.exists()


def test_hostile_cells_are_cleaned(write_csv, newsletters):
    text = 'email,name,note\n"eve@example.com","Eve\x07\r\nBcc: x@example.com","' + "n" * 5000 + '"\n'
    services.import_members(write_csv(text))
    member = Member.objects.get()
    assert member.name == "Eve Bcc: x@example.com"
    assert len(member.note) == 2000


def test_a_dry_run_changes_nothing(write_csv, newsletters):
    report = services.import_members(write_csv(ghost_rows(20)), dry_run=True)
    assert report.get("member", "created") == 18
    assert not Member.objects.exists() and not Label.objects.exists()


def test_the_export_writes_ghosts_columns_and_reimports(tmp_path, newsletters):
    ada = Member.objects.create(email="ada@example.com", name="=cmd|' /C calc'!A0", note="Met at the fair")
    ada.newsletters.add(newsletters["daily"])
    ada.labels.add(Label.objects.create(name="Press"))
    Member.objects.create(email="quiet@example.com")
    buffer = io.StringIO()
    assert services.export_members(buffer) == 2
    rows = list(csv.DictReader(io.StringIO(buffer.getvalue())))
    assert list(rows[0])[:11] == GHOST_HEADER.split(",")
    assert rows[0]["email"] == "ada@example.com"
    assert rows[0]["name"].startswith("'=")  # neutralised for spreadsheets
    assert rows[0]["subscribed_to_emails"] == "true" and rows[1]["subscribed_to_emails"] == "false"
    assert rows[0]["labels"] == "Press" and rows[0]["newsletters"] == "daily"


def test_the_commands_import_and_export_members(write_csv, newsletters, tmp_path, capsys):
    call_command("import", "members", write_csv(ghost_rows(10)))
    out, err = capsys.readouterr()
    assert "member" in out and "problems: 1" in out
    assert "problem: members.csv line 2: email:" in err
    target = tmp_path / "out.csv"
    call_command("export", "members", str(target))
    assert "9 members written" in capsys.readouterr().out
    assert len(list(csv.DictReader(target.open(encoding="utf-8")))) == 9
    with pytest.raises(CommandError, match="has no email column"):
        call_command("import", "members", write_csv("name\nx\n", name="bad.csv"))


def test_nul_characters_in_cells_are_dropped(write_csv, newsletters):
    services.import_members(write_csv("email,name,note,labels\nnul@example.com,Nu\x00l,no\x00te,La\x00bel\n"))
    member = Member.objects.get()
    assert (member.name, member.note) == ("Nul", "note")
    assert list(member.labels.values_list("name", flat=True)) == ["Label"]
