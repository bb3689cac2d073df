"""Email preferences that other apps add to the account page, without members importing them.

An app above members registers a yes/no preference in its `apps.ready()`:

    account_preferences.register(
        "comment_replies", "Email me when someone replies to my comments", read=wants, write=set_wanted
    )

The account page shows one checkbox per preference in its form and saves them with the rest.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Preference:
    key: str
    label: str
    read: Callable[[object], bool]  # member → on?
    write: Callable[[object, bool], None]  # (member, on)


_registered: dict[str, Preference] = {}


def register(key: str, label: str, *, read, write) -> None:
    _registered[key] = Preference(key, label, read, write)


def unregister(key: str) -> None:
    _registered.pop(key, None)


def registered() -> list[Preference]:
    return list(_registered.values())
