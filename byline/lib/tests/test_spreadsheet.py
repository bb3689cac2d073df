import pytest

from byline.lib.spreadsheet import safe_cell


@pytest.mark.parametrize(
    "value",
    ['=HYPERLINK("https://evil.example","x")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "\n=1"],
)
def test_formula_starts_become_text(value):
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["Ada Lovelace", "ada@example.com", "", "1+1", "a=b", "Zoë"])
def test_ordinary_text_is_unchanged(value):
    assert safe_cell(value) == value


def test_none_is_an_empty_cell_and_numbers_are_text():
    assert safe_cell(None) == ""
    assert safe_cell(42) == "42"
