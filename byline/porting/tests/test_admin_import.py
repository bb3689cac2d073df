"""Importing a members CSV in the admin: upload, preview of the first rows and the problems, import."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile

from byline.members.models import Member
from byline.newsletters.models import Newsletter
from byline.porting import views

pytestmark = pytest.mark.django_db

URL = "/admin/members/import/"


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    return tmp_path


@pytest.fixture
def editor(client):
    client.force_login(get_user_model().objects.create_superuser("editor", "editor@example.com", "pw"))
    return client


def upload(client, text: bytes, name="members.csv", newsletter=""):
    return client.post(URL, {"file": SimpleUploadedFile(name, text, "text/csv"), "newsletter": newsletter})


CSV = (
    b"email,name,labels\n"
    b"ann@example.com,Ann Other,Readers\n"
    b"not-an-address,Bad Row,\n"
    b"bo@example.com,Bo Reader,\n"
)


def test_upload_preview_then_import(editor, data_dir):
    weekly = Newsletter.objects.create(name="Weekly", slug="weekly", subscribe_on_signup=False)
    assert editor.get(URL).status_code == 200
    preview = upload(editor, CSV, newsletter="weekly")
    html = preview.content.decode()
    assert preview.status_code == 200
    assert "<strong data-good-rows>2</strong>" in html
    assert "ann@example.com" in html and "Ann Other" in html
    assert "members.csv line 3: email: &#x27;not-an-address&#x27;" in html
    assert not Member.objects.exists()  # a preview imports nothing
    token = re.search(r'name="token" value="([0-9a-f]+)"', html).group(1)
    assert len(list(data_dir.joinpath("imports").iterdir())) == 1

    done = editor.post(URL, {"step": "import", "token": token, "newsletter": "weekly"})
    assert "<strong data-created>2</strong> members imported" in done.content.decode()
    assert set(Member.objects.values_list("email", flat=True)) == {"ann@example.com", "bo@example.com"}
    assert list(Member.objects.get(email="bo@example.com").newsletters.all()) == [weekly]
    assert list(data_dir.joinpath("imports").iterdir()) == []  # the upload is gone once imported

    again = editor.post(URL, {"step": "import", "token": token})
    assert again.status_code == 400 and "no longer waiting" in again.content.decode()


def test_a_file_without_an_email_column_is_refused_at_upload(editor, data_dir):
    response = upload(editor, b"name,note\nAnn,hi\n")
    assert "has no email column (headers found: name, note)" in response.content.decode()
    assert str(data_dir) not in response.content.decode()  # the server's path is not shown
    assert list(data_dir.joinpath("imports").iterdir()) == []


@pytest.mark.parametrize("token", ["../../etc/passwd", "x" * 32, "", "a" * 31])
def test_tokens_cannot_name_other_files(editor, token):
    response = editor.post(URL, {"step": "import", "token": token})
    assert response.status_code == 400
    assert not Member.objects.exists()


def test_an_empty_or_huge_file_is_refused(editor, monkeypatch):
    assert "is empty" in upload(editor, b"").content.decode()
    monkeypatch.setattr(views, "MAX_UPLOAD_BYTES", 10)
    assert "larger than" in upload(editor, CSV).content.decode()


def test_staff_without_the_permission_cannot_import(client):
    from django.contrib.auth.models import Permission

    user = get_user_model().objects.create_user("writer", "writer@example.com", "pw")
    user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(user)
    assert client.get(URL).status_code in (302, 403)
    assert "Import members" not in client.get("/admin/").content.decode()
