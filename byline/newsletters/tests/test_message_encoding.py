"""The message body is quoted-printable encoded in runs (fixed parts once per send, personal values per
recipient) and joined: the joined body must decode to exactly the text, with no line over 76 characters."""

import binascii
import random

from byline.newsletters.mail import _qp_run

# Characters that stress the encoding: spaces and tabs (encoded at line ends), "=" (always escaped),
# non-ASCII (three-byte escapes per byte), line breaks, dots at line starts.
ALPHABET = ["a", "b", " ", "\t", "=", "é", "—", "🙂", "\n", ".", "x" * 40]


def joined(pieces: list[str]) -> bytes:
    return b"".join(_qp_run(piece) for piece in pieces)


def test_runs_encoded_apart_decode_to_the_whole_text_within_the_line_limit():
    chance = random.Random(4)
    for _ in range(2000):
        pieces = [
            "".join(chance.choices(ALPHABET, k=chance.randint(0, 60))) for _ in range(chance.randint(1, 5))
        ]
        body = joined(pieces)
        assert binascii.a2b_qp(body).decode("utf-8").replace("\r\n", "\n") == "".join(pieces)
        assert max(len(line) for line in body.split(b"\r\n")) <= 76


def test_a_run_that_fills_its_last_line_is_broken_before_an_escape_not_inside_it():
    for length in range(60, 90):
        text = "a" * length + "é"
        body = _qp_run(text)
        assert binascii.a2b_qp(body).decode() == text
        assert max(len(line) for line in body.split(b"\r\n")) <= 76
