"""Where a table came from: every input error names file, row and column as a user sees them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NoReturn


class LikekitInputError(ValueError):
    """An input likekit cannot trust; the message names source, row and column.

    Rows are numbered as a spreadsheet shows a CSV or Excel sheet: the header is row 1 and
    the first data row is row 2. JSON records are counted from 1 (``record 3``, or ``line 3``
    of a JSON Lines file); a folder of yt-dlp captures names the capture's file.
    """

    __module__ = "likekit.data"  # its public home, as tracebacks and messages show it


@dataclass
class Source:
    """Naming of a loaded table's rows and columns for error messages.

    ``first_row`` is the number a user sees for data row 0 (2 under a header row, 1 for a
    DataFrame); ``labels`` replaces numbers by one name per row (the file of each capture);
    ``headers`` maps a contract role to the user's column name as written.
    """

    name: str
    first_row: int = 2
    row_word: str = "row"
    column_word: str = "column"
    labels: Sequence[str] | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def row(self, index: int) -> str:
        if self.labels is not None:
            return self.labels[index]
        return f"{self.row_word} {index + self.first_row}"

    def rows(self, first: int, second: int) -> str:
        if self.labels is not None:
            return f"{self.labels[first]} and {self.labels[second]}"
        return f"{self.row_word}s {first + self.first_row} and {second + self.first_row}"

    def column(self, role: str) -> str:
        return f"{self.column_word} {self.headers.get(role, role)!r}"

    def error(self, what: str, *, row: int | None = None, column: str | None = None) -> NoReturn:
        """Raise the one-line error; ``column`` is a contract role or a header as written."""
        where = [self.name]
        if row is not None:
            where.append(self.row(row))
        if column is not None:
            where.append(self.column(column))
        raise LikekitInputError(f"{', '.join(where)}: {what}")
