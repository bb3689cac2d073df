"""Members' emails come from the sender named in the publication's settings, over a real SMTP server."""

from email.utils import parseaddr

import pytest

from byline.core.models import PublicationSettings

pytestmark = pytest.mark.django_db

SEND = "/members/api/send-magic-link/"


@pytest.fixture
def publication(site):
    row = PublicationSettings.for_site(site)
    row.name = "The Harbour Ledger"
    row.save()
    return row


def ask(client, email="reader@example.com"):
    response = client.post(SEND, {"email": email}, content_type="application/json")
    assert response.status_code == 201
    return response


def test_without_sender_settings_it_uses_the_publication_name_and_server_address(
    client, smtp, publication, settings
):
    settings.DEFAULT_FROM_EMAIL = "noreply@ledger.example"
    ask(client)
    message = smtp.messages[0]["message"]
    assert parseaddr(message["From"]) == ("The Harbour Ledger", "noreply@ledger.example")
    assert message["Reply-To"] is None
    assert "The Harbour Ledger" in message["Subject"]


def test_the_site_settings_sender_name_address_and_support_address_are_used(client, smtp, publication):
    publication.sender_name = "Ledger Desk"
    publication.sender_email = "desk@ledger.example"
    publication.support_email = "help@ledger.example"
    publication.save()
    ask(client)
    message = smtp.messages[0]["message"]
    assert parseaddr(message["From"]) == ("Ledger Desk", "desk@ledger.example")
    assert parseaddr(message["Reply-To"]) == ("", "help@ledger.example")
    # The envelope sender is the configured address too, so SPF lines up with the From header.
    assert smtp.messages[0]["from"] == "desk@ledger.example"


def test_a_sender_name_with_line_breaks_cannot_inject_headers(client, smtp, publication):
    publication.sender_name = "Ledger\r\nBcc: victim@example.com"
    publication.save()
    ask(client)
    message = smtp.messages[0]["message"]
    assert message["Bcc"] is None
    assert parseaddr(message["From"])[0] == "Ledger Bcc: victim@example.com"
    assert smtp.messages[0]["to"] == ["reader@example.com"]


def test_a_non_ascii_sender_name_is_encoded(client, smtp, publication):
    publication.sender_name = "Gazette du Léman"
    publication.save()
    ask(client)
    assert parseaddr(str(smtp.messages[0]["message"]["From"]))[0] == "Gazette du Léman"
