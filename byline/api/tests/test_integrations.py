"""Integrations: created and listed from the command line and the admin, keys in Ghost's formats."""

import json
import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from byline.api.models import Integration


def run(*args) -> str:
    out = StringIO()
    call_command("integrations", *args, stdout=out)
    return out.getvalue()


def test_add_prints_both_keys_as_json(db):
    created = json.loads(run("add", "Static front end"))
    assert created["name"] == "Static front end"
    assert re.fullmatch(r"[0-9a-f]{26}", created["content_api_key"])
    assert re.fullmatch(r"[0-9a-f]{24}:[0-9a-f]{64}", created["admin_api_key"])
    assert Integration.objects.get().content_key == created["content_api_key"]


def test_list_prints_every_integration(db):
    run("add", "One")
    run("add", "Two")
    listed = json.loads(run("list"))
    assert [item["name"] for item in listed] == ["One", "Two"]
    assert len({item["content_api_key"] for item in listed}) == 2


@pytest.mark.parametrize("name", ["", "   ", "x" * 192])
def test_add_refuses_a_bad_name(db, name):
    with pytest.raises(CommandError):
        run("add", name)
    assert not Integration.objects.exists()


def test_every_integration_gets_its_own_keys(db):
    keys = {json.loads(run("add", f"Tool {n}"))["admin_api_key"] for n in range(5)}
    assert len(keys) == 5


def test_staff_see_and_create_integrations_in_the_admin(admin_client):
    response = admin_client.post("/admin/snippets/api/integration/add/", {"name": "Newsletter bridge"})
    assert response.status_code == 302
    integration = Integration.objects.get(name="Newsletter bridge")
    listing = admin_client.get("/admin/snippets/api/integration/")
    assert integration.content_key in listing.content.decode()
    inspect = admin_client.get(f"/admin/snippets/api/integration/inspect/{integration.pk}/")
    assert integration.admin_api_key in inspect.content.decode()
