"""Problems found in user input, and the one error that carries all of them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One finding about an input: where (file, sheet, row, column), what, and what would fix it."""

    message: str
    file: str = ""
    sheet: str = ""
    row: int | None = None
    column: str = ""
    severity: str = "error"  # or "warning"

    def where(self) -> str:
        place = self.file
        if self.sheet:
            place += f" [{self.sheet}]"
        if self.row is not None:
            place += f", row {self.row}"
        if self.column:
            place += f", column {self.column}"
        return place

    def __str__(self) -> str:
        where = self.where()
        return f"{where}: {self.message}" if where else self.message


class BianzhiError(Exception):
    """An error the user can fix; the CLI prints it without a traceback."""

    exit_code = 2


class InputError(BianzhiError):
    """Every problem found in the inputs, raised once."""

    def __init__(self, problems: list[Problem], header: str = ""):
        self.problems = sorted(
            (p for p in problems if p.severity == "error"),
            key=lambda p: (p.file, p.sheet, p.row if p.row is not None else 0),
        )
        count = len(self.problems)
        self.header = header or f"{count} problem{'s' if count != 1 else ''} in the input"
        super().__init__(self.render())

    def render(self) -> str:
        lines = [self.header + ":"]
        lines += [f"  - {p}" for p in self.problems]
        return "\n".join(lines)


class ScenarioError(BianzhiError):
    """A scenario file or a --set override that cannot be understood."""
