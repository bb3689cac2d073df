"""Cells that are safe to open in a spreadsheet.

Members type their own names. A name such as `=HYPERLINK("https://evil.example", "Click")` written
raw into a CSV becomes a live formula in Excel or LibreOffice (CSV injection). OWASP's advice: prefix a
cell that starts with a formula character with a single quote, which spreadsheets show as text.
"""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_cell(value) -> str:
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text
