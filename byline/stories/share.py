"""The share menu's targets: one plain link per network, so sharing works without JavaScript."""

from urllib.parse import quote


def _q(value: str) -> str:
    # quote() rather than urlencode(): spaces must be %20, not "+", for mailto: and some intents.
    return quote(value, safe="")


def share_links(url: str, title: str) -> list[dict]:
    """(network, label, href) for a story's absolute `url` and `title`."""
    both = f"{title} {url}"
    return [
        {"network": "x", "label": "X", "href": f"https://x.com/intent/post?text={_q(title)}&url={_q(url)}"},
        {"network": "facebook", "label": "Facebook", "href": f"https://www.facebook.com/sharer/sharer.php?u={_q(url)}"},
        {"network": "linkedin", "label": "LinkedIn", "href": f"https://www.linkedin.com/sharing/share-offsite/?url={_q(url)}"},
        {"network": "bluesky", "label": "Bluesky", "href": f"https://bsky.app/intent/compose?text={_q(both)}"},
        {"network": "threads", "label": "Threads", "href": f"https://www.threads.net/intent/post?text={_q(both)}"},
        {"network": "whatsapp", "label": "WhatsApp", "href": f"https://wa.me/?text={_q(both)}"},
        {"network": "email", "label": "Email", "href": f"mailto:?subject={_q(title)}&body={_q(url)}"},
    ]  # fmt: skip
