"""A1 notation as the API reads it: quoted tab names, whole tabs, open ranges, grid limits."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from tests.fakes.sheets.model import Book, Sheet
from tests.fakes.sheets.responses import ApiError


def col_letter(index: int) -> str:
    """0-based column index -> "A", "Z", "AA"."""
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


def col_index(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n - 1


def _quote_title(title: str) -> str:
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", title) and not re.fullmatch(
        r"[A-Za-z]{1,3}\d+|[Rr]\d+[Cc]\d+", title
    ):
        return title
    return "'" + title.replace("'", "''") + "'"


def a1(sheet: Sheet, r0: int, c0: int, r1: int, c1: int) -> str:
    """The A1 range the API names in its answers, e.g. "'Tab 1'!A2:C9"."""
    start = f"{col_letter(c0)}{r0 + 1}"
    if r1 - r0 == 1 and c1 - c0 == 1:
        return f"{_quote_title(sheet.title)}!{start}"
    return f"{_quote_title(sheet.title)}!{start}:{col_letter(c1 - 1)}{r1}"


def a1_cell(text: str) -> tuple[int, int]:
    """ "B3" -> (2, 1), for the fake's Python helpers."""
    m = re.fullmatch(r"\$?([A-Za-z]{1,3})\$?([1-9]\d*)", text.strip())
    if m is None:
        raise ValueError(f"not a cell reference: {text!r}")
    return int(m.group(2)) - 1, col_index(m.group(1))


def ranges_param(value: Any) -> list[str]:
    """The ``ranges`` query parameter, given once or repeated, as a list."""
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


_REF_RE = re.compile(r"\$?([A-Za-z]{0,3})\$?(\d*)")


@dataclass
class Range:
    """A parsed A1 range: 0-based start, exclusive end, None where it runs to the grid's end."""

    sheet: Sheet
    r0: int
    c0: int
    r1: int | None  # exclusive; None = to the end of the grid
    c1: int | None
    whole_sheet: bool = False
    explicit_rows: bool = True
    anchor: bool = False  # a lone cell like "A10": writes grow from it instead of being bounded

    def clipped(self, text: str) -> tuple[int, int, int, int]:
        s = self.sheet
        if self.r0 >= s.row_count or self.c0 >= s.col_count:
            raise ApiError(400, grid_limit_message(text, s))
        r1 = s.row_count if self.r1 is None else min(self.r1, s.row_count)
        c1 = s.col_count if self.c1 is None else min(self.c1, s.col_count)
        return self.r0, self.c0, r1, c1


def grid_limit_message(text: str, sheet: Sheet) -> str:
    return (
        f"Range ({text}) exceeds grid limits. Max rows: {sheet.row_count}, "
        f"max columns: {sheet.col_count}"
    )


def _split_sheet(text: str) -> tuple[str | None, str | None]:
    """ "'It''s'!A1:B" -> ("It's", "A1:B"); "Tab" -> (None, "Tab") when ambiguous."""
    if text.startswith("'"):
        i, parts = 1, []
        while True:
            j = text.find("'", i)
            if j == -1:
                raise ValueError("unterminated quote")
            if text[j + 1 : j + 2] == "'":
                parts.append(text[i:j] + "'")
                i = j + 2
                continue
            parts.append(text[i:j])
            rest = text[j + 1 :]
            break
        if rest == "":
            return "".join(parts), None
        if not rest.startswith("!"):
            raise ValueError("junk after quoted sheet name")
        return "".join(parts), rest[1:]
    if "!" in text:
        title, cells = text.split("!", 1)
        return title, cells
    return None, text


def parse_range(book: Book, text: str) -> Range:
    bad = ApiError(400, f"Unable to parse range: {text}")
    try:
        title, cells = _split_sheet(text.strip())
    except ValueError:
        raise bad from None
    if title is None:
        sheet = book.by_title(cells or "")
        if sheet is not None:
            return Range(sheet, 0, 0, None, None, whole_sheet=True, explicit_rows=False)
        # A bare A1 range applies to the first sheet.
        sheet = book.sheets[0]
    else:
        sheet = book.by_title(title)
        if sheet is None:
            raise bad
        if cells is None:
            return Range(sheet, 0, 0, None, None, whole_sheet=True, explicit_rows=False)
    assert cells is not None
    ends = cells.split(":")
    refs = [_REF_RE.fullmatch(e.strip()) for e in ends]
    if len(ends) > 2 or any(m is None or m.group(0) == "" for m in refs):
        raise bad
    parsed = [(m.group(1) or None, int(m.group(2)) if m.group(2) else None) for m in refs if m]
    if any(row == 0 for _, row in parsed):
        raise bad
    if len(parsed) == 1:
        letters, row = parsed[0]
        if letters is None or row is None:
            raise bad
        r, c = row - 1, col_index(letters)
        return Range(sheet, r, c, r + 1, c + 1, anchor=True)
    (la, ra), (lb, rb) = parsed
    if (la is None and lb is not None and ra is not None) or (ra is None and la is None):
        raise bad
    r0 = ra - 1 if ra is not None else 0
    c0 = col_index(la) if la is not None else 0
    r1 = rb if rb is not None else None
    c1 = col_index(lb) + 1 if lb is not None else None
    if r1 is not None and r1 <= r0:
        r0, r1 = r1 - 1, r0 + 1
    if c1 is not None and c1 <= c0:
        c0, c1 = c1 - 1, c0 + 1
    return Range(sheet, r0, c0, r1, c1, explicit_rows=ra is not None)
