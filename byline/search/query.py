"""Turning what a reader typed into a query that cannot fail.

Readers type anything: quotes, stars, minus signs, `AND`/`NEAR`, SQL, a thousand characters, bytes
that were not UTF-8. Only words reach the search engine (letters and digits, each quoted by the
backend), so no input can be read as query syntax; a pair of double quotes still asks for a phrase.
"""

import re
from dataclasses import dataclass

MAX_INPUT = 1000  # characters looked at
MAX_TERMS = 12  # words kept, phrases included
MAX_TERM = 40  # characters of one word
WORD = re.compile(r"\w+")
PHRASE = re.compile(r'"([^"]*)"')


@dataclass(frozen=True)
class ReaderQuery:
    words: tuple[str, ...] = ()
    phrases: tuple[tuple[str, ...], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.words or self.phrases)

    @property
    def all_words(self) -> list[str]:
        return [*self.words, *(word for phrase in self.phrases for word in phrase)]


def parse(raw: str) -> ReaderQuery:
    text = (raw or "")[:MAX_INPUT].replace("\x00", " ")
    budget = MAX_TERMS
    phrases = []
    for match in PHRASE.finditer(text):
        words = _words(match.group(1))[:budget]
        if len(words) > 1:
            phrases.append(tuple(words))
            budget -= len(words)
        elif words:  # a quoted single word is just a word
            text += " " + words[0]
    rest = PHRASE.sub(" ", text)
    words = tuple(dict.fromkeys(_words(rest)))[: max(budget, 0)]
    return ReaderQuery(words=words, phrases=tuple(phrases))


def _words(text: str) -> list[str]:
    # Underscores count as word characters in \w; the index splits on them, so do we.
    return [word[:MAX_TERM].casefold() for word in WORD.findall(text.replace("_", " "))]
