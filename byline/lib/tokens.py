"""Secrets that travel in links: made with `secrets`, stored only as hashes."""

import hashlib
import secrets

TOKEN_BYTES = 32  # 256 bits


def new_token() -> str:
    """A URL-safe token carrying 256 bits of randomness."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    """What the database keeps: SHA-256 is enough for 256-bit random tokens (no guessing to slow down)."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
