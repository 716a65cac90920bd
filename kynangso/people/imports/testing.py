"""Helpers for tests and benchmarks: valid CCCD numbers, and workbooks written the way spreadsheet
programs write them (title rows, cached formula values)."""

from __future__ import annotations

import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path

from openpyxl import Workbook

from ..exports import HEADERS


def make_cccd(birth: date, sex: str, serial: int, province: str = "086") -> str:
    """A CCCD consistent with the birth date and sex (province code, century/sex digit, year, serial)."""
    century = (birth.year // 100 - 19) * 2 + (1 if sex == "female" else 0)
    return f"{province}{century}{birth.year % 100:02d}{serial % 1_000_000:06d}"


def write_xlsx(
    path: Path,
    rows: Iterable[Sequence],
    *,
    headers: Sequence[str] = HEADERS,
    title: str | None = None,
    blank_rows_before_header: int = 0,
    start_column: int = 1,
    text_columns: Iterable[int] = (),
) -> Path:
    """A workbook like an office's: an optional merged title row, blank rows, the header, the rows.
    `text_columns` (1-based, relative to the table) get the Text number format."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Danh sách"
    row_index = 1
    if title:
        ws.cell(row=1, column=start_column, value=title)
        ws.merge_cells(start_row=1, start_column=start_column, end_row=1, end_column=start_column + len(headers) - 1)
        row_index = 2
    row_index += blank_rows_before_header
    text_columns = set(text_columns)
    for r, values in enumerate([list(headers), *[list(v) for v in rows]]):
        for c, value in enumerate(values):
            if value is None:
                continue
            cell = ws.cell(row=row_index + r, column=start_column + c, value=value)
            if r and c + 1 in text_columns:
                cell.number_format = "@"
            if r and isinstance(value, date):
                cell.number_format = "DD/MM/YYYY"
    wb.save(path)
    return path


def cache_formula_values(path: Path, values: dict[str, str], *, error: bool = False) -> Path:
    """Give formula cells the cached results a spreadsheet program stores beside the formula
    (openpyxl writes formulas without them). `values` maps a cell reference (\"D3\") to its text result;
    `error`: the results are Excel error codes (\"#N/A\"), stored as error cells (t="e")."""
    kind = "e" if error else "str"
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.xlsx"
        with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
            for item in src.infolist():
                data = src.read(item.filename)
                if item.filename.startswith("xl/worksheets/sheet"):
                    text = data.decode()
                    for ref, value in values.items():
                        text = re.sub(
                            rf'<c r="{ref}"([^>]*)><f>(.*?)</f><v\s*/>',
                            lambda m, ref=ref, value=value: (
                                f'<c r="{ref}"{m.group(1)} t="{kind}"><f>{m.group(2)}</f><v>{value}</v>'
                            ),
                            text,
                        )
                    data = text.encode()
                dst.writestr(item, data)
        shutil.copyfile(out, path)
    return path


def run_import(*, actor, organisation, path: Path, **options):
    """Create and run an import synchronously (as the management command does); returns the import."""
    from django.core.files import File

    from .services import person_import_create, person_import_run

    with Path(path).open("rb") as fh:
        imp = person_import_create(
            actor=actor,
            organisation=organisation,
            file=File(fh, name=Path(path).name),
            original_name=Path(path).name,
            enqueue=False,
            **options,
        )
    return person_import_run(import_id=imp.pk)


def read_rows(field_file) -> list[list]:
    """All rows of a stored workbook (first sheet), as python-calamine reads them."""
    import python_calamine

    with field_file.open("rb") as fh:
        return list(python_calamine.CalamineWorkbook.from_filelike(fh).get_sheet_by_index(0).iter_rows())


def pdf_qr_codes(pdf: bytes) -> list[str]:
    """What the QR codes of a PDF say: each greyscale image XObject (as fpdf2 writes them: Flate with PNG
    row filters) decoded by zxing-cpp, in the order of the file."""
    import re
    import zlib

    import zxingcpp
    from PIL import Image

    found = []
    for match in re.finditer(rb"obj\n<<\n((?:(?!endobj).)*?/Subtype /Image.*?)\n>>\nstream\n", pdf, re.S):
        head = match.group(1)
        width, height = (int(re.search(rb"/%s (\d+)" % key, head).group(1)) for key in (b"Width", b"Height"))
        length = int(re.search(rb"/Length (\d+)", head).group(1))
        raw = zlib.decompress(pdf[match.end() : match.end() + length])
        rows = [raw[i * (width + 1) : (i + 1) * (width + 1)] for i in range(height)]
        assert all(row[0] == 0 for row in rows), "only PNG filter type 0 (None) is decoded here"
        image = Image.frombytes("L", (width, height), b"".join(row[1:] for row in rows))
        barcode = zxingcpp.read_barcode(image.resize((width * 4, height * 4), Image.NEAREST))
        found.append(barcode.text if barcode else "")
    return found
