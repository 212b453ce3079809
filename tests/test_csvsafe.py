"""Spreadsheet-safe CSV: formulas neutralised, numbers left as numbers."""

from __future__ import annotations

import csv
import io

from workbench.csvsafe import csv_text


def test_text_formulas_are_neutralised_but_numbers_stay_numbers() -> None:
    out = csv_text(
        ["code", "kappa", "memo"],
        [['=HYPERLINK("x")', -0.25, "-see above"], ["@SUM(A1)", 3, "\tindent"]],
    )
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[1] == ['\'=HYPERLINK("x")', "-0.25", "'-see above"]
    assert rows[2] == ["'@SUM(A1)", "3", "'\tindent"]
