"""CSV exports that spreadsheets open safely: every cell quoted, a cell that a spreadsheet would
read as a formula (``=``, ``+``, ``-``, ``@``, tab, carriage return: OWASP's list) neutralised with
a leading quote, and a byte order mark so that the names' accents read right."""

from __future__ import annotations

import csv
import io
from typing import Iterable

#: A cell starting with one of these is a formula to a spreadsheet.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: str) -> str:
    """A cell a spreadsheet shows as text: one that starts like a formula gets a leading quote."""
    return "'" + value if value.startswith(FORMULA_START) else value


def csv_bytes(header: Iterable[str], rows: Iterable[Iterable[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL)
    writer.writerow([safe_cell(str(cell)) for cell in header])
    for row in rows:
        writer.writerow([safe_cell(str(cell)) for cell in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
