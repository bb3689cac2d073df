import base64

from byline.lib.tokens import TOKEN_BYTES, new_token, token_hash


def test_it_makes_tokens_with_256_bits():
    token = new_token()
    assert TOKEN_BYTES * 8 >= 256
    assert len(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))) == TOKEN_BYTES


def test_tokens_are_url_safe_and_unique():
    tokens = {new_token() for _ in range(500)}
    assert len(tokens) == 500
    assert all(
        set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        for token in tokens
    )


def test_the_hash_is_stable_hex_sha256_and_not_the_token():
    token = new_token()
    digest = token_hash(token)
    assert digest == token_hash(token)
    assert len(digest) == 64 and int(digest, 16) >= 0
    assert token not in digest
    assert token_hash(new_token()) != digest


def test_the_hash_accepts_odd_input():
    assert len(token_hash("")) == 64
    assert len(token_hash("\ud800 lone surrogate")) == 64
