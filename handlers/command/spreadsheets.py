"""CSV exports that a spreadsheet opens safely (a poll's votes, an event's attendees)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet reads as a formula (OWASP: CSV injection)


def inert(cell: str) -> str:
    """A cell a spreadsheet reads as text, never as a formula: one that begins with `=`, `+`, `-`, `@`, a tab or a
    carriage return gets a leading apostrophe (OWASP's advice on CSV injection)."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def csv_text(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """The header and rows as CSV (RFC 4180 quoting, `\\n` line ends), every cell made `inert`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([inert(c) for c in header])
    writer.writerows([[inert(c) for c in row] for row in rows])
    return out.getvalue()
