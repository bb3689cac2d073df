"""What an import did or would do: counts per kind of record, and every problem with where it was."""

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path


class ImportFailed(Exception):
    """A problem that stops the whole import; nothing is changed. The message names file, record, field."""


def read_text(path: str | Path, name: str, *, encoding_hint: str) -> str:
    """A whole file as UTF-8 text (a BOM is fine), or ImportFailed naming the file and the bad byte."""
    try:
        raw = Path(path).read_bytes()
    except OSError as error:
        raise ImportFailed(f"{name}: cannot be read ({error.strerror or error}).") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportFailed(
            f"{name}: is not UTF-8 text (byte {error.start} is {raw[error.start]:#04x}). {encoding_hint}"
        ) from None


@dataclass
class Problem:
    where: str  # "posts[12] “Harbour reopens”" — the record, as a person can find it in the file
    field: str
    message: str

    def __str__(self) -> str:
        field = f" {self.field}:" if self.field else ""
        return f"{self.where}:{field} {self.message}"


@dataclass
class Report:
    source: str
    dry_run: bool = False
    counts: Counter = field(default_factory=Counter)  # ("story", "created") -> n
    problems: list[Problem] = field(default_factory=list)
    missing_images: list[str] = field(default_factory=list)

    def count(self, kind: str, outcome: str, n: int = 1) -> None:
        self.counts[(kind, outcome)] += n

    def problem(self, where: str, field_name: str, message: str) -> None:
        self.problems.append(Problem(where, field_name, message))

    def get(self, kind: str, outcome: str) -> int:
        return self.counts[(kind, outcome)]

    def table(self) -> str:
        """The summary printed at the end: one row per kind of record."""
        kinds = sorted({kind for kind, _ in self.counts})
        outcomes = ["created", "updated", "existing", "skipped"]
        rows = [["", *outcomes]]
        rows += [[kind, *(str(self.counts[(kind, outcome)]) for outcome in outcomes)] for kind in kinds]
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        lines = [
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) for row in rows
        ]
        # Outcomes outside the table's columns (imported comments left waiting for approval).
        for (kind, outcome), n in sorted(self.counts.items()):
            if outcome not in outcomes and n:
                lines.append(f"{kind} {outcome}: {n}")
        lines.append(f"problems: {len(self.problems)}")
        if self.missing_images:
            lines.append(f"images left as links (not in --images): {len(self.missing_images)}")
        if self.dry_run:
            lines.append("dry run: nothing was changed")
        return "\n".join(line.rstrip() for line in lines)
