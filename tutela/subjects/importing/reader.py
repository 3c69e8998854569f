"""Reading an import file into a header and rows of text, refusing what is not a clean table.

CSV must be UTF-8 (with or without a BOM; UTF-16 with a BOM is accepted too), comma- or semicolon-
separated (sniffed from the header line). XLSX is read with openpyxl in read-only mode (first sheet).
Rows keep spreadsheet numbering: the header is row 1.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tutela.core.errors import FieldError, InvalidInput

MAX_COLUMNS = 200
#: a row of an XLSX sheet may be padded this far before its cells are looked at one by one
MAX_XLSX_CELLS_PER_ROW = 1000


@dataclass
class Table:
    headers: list[str]
    rows: list[tuple[int, list[str]]]  # (spreadsheet row number, cells as text)
    kind: str  # "csv" or "xlsx"


def _refuse(path: Path, message: str, **where: object) -> InvalidInput:
    return InvalidInput(f"{path.name}: {message}", errors=[FieldError(message, file=path.name, **where)])  # type: ignore[arg-type]


def read_table(path: Path) -> Table:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise _refuse(path, "no such file") from None
    except IsADirectoryError:
        raise _refuse(path, "is a directory, not a file") from None
    except OSError as exc:
        raise _refuse(path, f"cannot read it ({exc.strerror})") from None
    if not raw.strip():
        raise _refuse(path, "the file is empty")
    if raw[:4] == b"PK\x03\x04" or path.suffix.lower() in (".xlsx", ".xlsm"):
        return _read_xlsx(path, raw)
    return _read_csv(path, raw)


def _decode(path: Path, raw: bytes) -> str:
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            raise _refuse(path, "starts with a UTF-16 byte-order mark but is not valid UTF-16") from None
    if b"\x00" in raw[:4096]:
        raise _refuse(
            path,
            "holds NUL bytes: a binary file or UTF-16 text without a byte-order mark; "
            "save it as 'CSV UTF-8' or XLSX",
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise _refuse(
            path,
            f"not UTF-8 text (byte {exc.start}, line {line}); it may be Latin-1 or Windows-1252: "
            "save it as 'CSV UTF-8'",
            line=line,
        ) from None
    controls = sum(1 for ch in text[:4096] if ord(ch) < 32 and ch not in "\r\n\t")
    if controls > 8:
        raise _refuse(path, "holds control characters: this is not a CSV text file")
    return text


def _read_csv(path: Path, raw: bytes) -> Table:
    text = _decode(path, raw)
    first = text.lstrip("\ufeff").split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        rows_iter: Iterator[list[str]] = iter(reader)
        headers = next(rows_iter, None)
        if headers is None:
            raise _refuse(path, "the file is empty")
        rows: list[tuple[int, list[str]]] = []
        # a spreadsheet row is a record (a quoted cell may span lines): number records from 2
        for number, cells in enumerate(rows_iter, start=2):
            if any(c.strip() for c in cells):
                rows.append((number, cells))
    except csv.Error as exc:
        raise _refuse(
            path, f"not a well-formed CSV file ({exc}) near line {reader.line_num}", line=reader.line_num
        ) from None
    return _table(path, [h.strip().lstrip("\ufeff") for h in headers], rows, "csv")


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _read_xlsx(path: Path, raw: bytes) -> Table:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise _refuse(path, f"not a readable XLSX workbook ({type(exc).__name__})") from None
    except Exception as exc:  # openpyxl raises a variety of parse errors on damaged files
        raise _refuse(path, f"not a readable XLSX workbook ({type(exc).__name__})") from None
    try:
        sheet = workbook.worksheets[0]
        # the size a sheet declares (<dimension ref="A1:XFD1048576"/>) is not what it holds: read by the
        # cells present, or a 5 KB file is walked as 17 billion empty cells
        if hasattr(sheet, "reset_dimensions"):
            sheet.reset_dimensions()
        rows: list[tuple[int, list[str]]] = []
        headers: list[str] | None = None
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            if len(values) > MAX_XLSX_CELLS_PER_ROW:
                values = _trim(values, path, number)
            cells = [_cell(v) for v in values]
            if headers is None:
                headers = cells
                continue
            if any(cells):
                rows.append((number, cells))
    finally:
        workbook.close()
    if headers is None:
        raise _refuse(path, "the workbook's first sheet is empty")
    while headers and not headers[-1]:
        headers.pop()
    return _table(path, headers, rows, "xlsx")


def _trim(values: tuple[object, ...], path: Path, number: int) -> tuple[object, ...]:
    """A row whose cells reach far to the right: what lies past the last filled cell is dropped; a row that
    really fills more columns than any import has is refused."""
    last = max((i for i, v in enumerate(values) if v not in (None, "")), default=-1)
    if last >= MAX_XLSX_CELLS_PER_ROW:
        raise _refuse(path, f"row {number} has cells beyond column {MAX_XLSX_CELLS_PER_ROW}", row=number)
    return values[: last + 1]


def _table(path: Path, headers: list[str], rows: list[tuple[int, list[str]]], kind: str) -> Table:
    if not any(headers):
        raise _refuse(path, "row 1 must be a header row naming the columns", row=1)
    if len(headers) > MAX_COLUMNS:
        raise _refuse(path, f"more than {MAX_COLUMNS} columns", row=1)
    seen: set[str] = set()
    for h in headers:
        if not h:
            raise _refuse(path, "a column of the header row has no name", row=1)
        if h.casefold() in seen:
            raise _refuse(path, f"column {h!r} appears twice in the header row", row=1)
        seen.add(h.casefold())
    if not rows:
        raise _refuse(path, "the file has a header row but no data rows")
    return Table(headers, rows, kind)
