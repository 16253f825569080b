import datetime as dt
import io
import os
import tracemalloc
import zipfile

import pytest
from django.core.management import CommandError, call_command

from kam.imports import reading
from kam.imports.models import ImportStatus
from kam.imports.reading import RefusedFile, read_table

from .files import csv_bytes, lying_workbook, raw_zip, upload, xlsx_bytes, zip_parts

HEADER = ["Дата", "Код клиента", "Сумма"]
ROWS = [HEADER, ["1.1.2025", "C", "1"]]


def write(tmp_path, content: bytes, name: str = "data.csv"):
    path = tmp_path / name
    path.write_bytes(content)
    return path


def cells(table) -> list[list]:
    return [list(row) for row in table.rows.select(reading.ROW, *table.cells).rows()]


def refused(path) -> str:
    with pytest.raises(RefusedFile) as refusal:
        read_table(path)
    return str(refusal.value)


@pytest.mark.parametrize("separator", [";", ",", "\t"])
def test_the_csv_separator_is_sniffed(tmp_path, separator):
    content = csv_bytes([HEADER, ["31.12.2024", "C1", "1 234,50"]], sep=separator)
    table = read_table(write(tmp_path, content))
    assert table.header == HEADER
    assert cells(table) == [[2, "31.12.2024", "C1", "1 234,50"]]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1251"])
def test_utf8_with_or_without_bom_and_cp1251_read_the_same(tmp_path, encoding):
    table = read_table(
        write(tmp_path, csv_bytes([HEADER, ["1.1.2025", "Ёж", "1"]], encoding=encoding))
    )
    assert table.header == HEADER
    assert cells(table) == [[2, "1.1.2025", "Ёж", "1"]]


def test_cp1251_far_below_an_ascii_start_is_still_recognised(tmp_path):
    ascii_rows = [["Code", "Name"]] + [[f"C{n}", "Plain"] for n in range(10_000)]
    content = csv_bytes(ascii_rows) + csv_bytes([["C-RU", "Ёлка"]], encoding="cp1251")
    assert cells(read_table(write(tmp_path, content)))[-1] == [10_002, "C-RU", "Ёлка"]


def test_utf8_broken_further_down_is_refused(tmp_path):
    content = csv_bytes([["Код", "Имя"]] + [["К1", "Ёлка"]] * 10_000) + b"\xff;\xfe\r\n"
    assert "not valid UTF-8 throughout" in refused(write(tmp_path, content))


def test_row_numbers_are_those_excel_shows_even_after_blank_lines(tmp_path):
    content = "Дата;Код\r\n1.1.2025;A\r\n\r\n;\r\n2.1.2025;B\r\n".encode()
    assert [row[0] for row in cells(read_table(write(tmp_path, content)))] == [2, 5]


def test_cells_are_trimmed_and_empty_cells_are_no_value(tmp_path):
    content = csv_bytes([HEADER, ["  1.1.2025 ", "", "  "]])
    assert cells(read_table(write(tmp_path, content))) == [[2, "1.1.2025", None, None]]


def test_values_beyond_the_last_header_are_kept_for_the_error_report(tmp_path):
    content = b"A;B\r\n1;2;3\r\n"
    table = read_table(write(tmp_path, content))
    assert table.rows[reading.EXTRA].to_list() == ["3"]


def test_xlsx_native_dates_and_numbers_become_text_the_parsers_read(tmp_path):
    content = xlsx_bytes([HEADER, [dt.date(2024, 12, 31), 10025, 1234.5], [None, "C2", 0.1 + 0.2]])
    table = read_table(write(tmp_path, content, "data.xlsx"))
    assert cells(table) == [
        [2, "2024-12-31 00:00:00", "10025", "1234.5"],
        [3, None, "C2", "0.3"],  # Excel's float noise rounded as Excel shows it
    ]


def test_xlsx_rows_keep_their_excel_numbers_when_the_sheet_starts_lower(tmp_path):
    content = xlsx_bytes([[], [], HEADER, ["1.1.2025", "C1", "1"]])
    table = read_table(write(tmp_path, content, "data.xlsx"))
    assert table.header == HEADER
    assert cells(table)[0][0] == 4


def test_a_limit_reads_only_the_first_rows(tmp_path):
    content = csv_bytes([HEADER, *([["1.1.2025", "C", "1"]] * 50)])
    assert read_table(write(tmp_path, content), limit=10).rows.height == 10


# Hostile and broken files -----------------------------------------------------------------


def test_an_empty_file_is_refused(tmp_path):
    assert refused(write(tmp_path, b"")) == "The file is empty."


def test_a_header_without_rows_is_refused(tmp_path):
    assert "no rows" in refused(write(tmp_path, "Дата;Код\r\n".encode()))


def test_a_file_over_the_size_limit_is_refused(tmp_path, settings):
    settings.KAM_IMPORT_MAX_BYTES = 100
    assert "too large" in refused(write(tmp_path, b"A;B\n" + b"1;2\n" * 50))


def test_binary_garbage_is_refused_from_its_first_bytes(tmp_path):
    assert "binary" in refused(write(tmp_path, os.urandom(2 * 1024**2)))


@pytest.mark.slow
def test_a_hundred_megabytes_of_garbage_is_refused_within_a_second(tmp_path):
    assert "binary" in refused(write(tmp_path, os.urandom(100 * 1024**2)))


def test_text_that_is_neither_utf8_nor_cp1251_is_refused(tmp_path):
    assert "not readable text" in refused(write(tmp_path, b"A;B\n\x98\x98;1\n"))


def test_utf16_is_refused_with_a_hint(tmp_path):
    assert "UTF-16" in refused(write(tmp_path, "A;B\n1;2\n".encode("utf-16")))


def test_a_workbook_name_on_a_text_file_is_refused(tmp_path):
    message = refused(write(tmp_path, b"A;B\n1;2\n", "report.xlsx"))
    assert message == "The file is named like a workbook but is not an XLSX file."


def test_a_zip_that_is_not_a_workbook_is_refused(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "hello")
    assert refused(write(tmp_path, buffer.getvalue(), "data.xlsx")) == (
        "The file is not a valid XLSX workbook."
    )


def test_a_legacy_xls_is_refused_with_a_hint(tmp_path):
    assert ".xls" in refused(write(tmp_path, reading.OLE2_SIGNATURE + b"\0" * 600, "old.xls"))


def _workbook_with(part: str, content: bytes) -> bytes:
    """A valid workbook with one part replaced."""
    source = zipfile.ZipFile(io.BytesIO(xlsx_bytes([HEADER, ["1.1.2025", "C", "1"]])))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for entry in source.infolist():
            data = content if entry.filename == part else source.read(entry)
            archive.writestr(entry.filename, data)
        if part not in source.namelist():
            archive.writestr(part, content)
    return buffer.getvalue()


def test_a_zip_bomb_is_refused_before_it_is_unpacked(tmp_path):
    bomb = _workbook_with("xl/media/padding.xml", b"\0" * 50 * 1024**2)
    assert len(bomb) < 1024**2
    assert "zip bomb" in refused(write(tmp_path, bomb, "bomb.xlsx"))


GIB = 1024**3


def test_a_workbook_lying_about_its_size_is_refused_by_what_it_really_unpacks_to(tmp_path):
    """The probe's file: the sheet declares 4 KiB (with the CRC of its first 4 KiB, so zipfile,
    which stops at the declared size, finds nothing wrong) and inflates to 1 GiB."""
    bomb = lying_workbook(ROWS, padding=GIB)
    assert len(bomb) < 2 * 1024**2
    sheet = zipfile.ZipFile(io.BytesIO(bomb)).read("xl/worksheets/sheet1.xml")
    assert len(sheet) == 4096  # what a check trusting the headers saw
    tracemalloc.start()
    try:
        message = refused(write(tmp_path, bomb, "bomb.xlsx"))
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "zip bomb" in message
    # One chunk in, one chunk out: the check never holds the gigabyte.
    assert peak < 8 * reading.INFLATE_CHUNK


def test_the_lying_workbook_is_refused_on_upload_and_by_the_command(world, tmp_path):
    bomb = lying_workbook(ROWS, padding=GIB)
    job = upload(world.kam, "contacts", bomb, "contacts.xlsx")
    assert job.status == ImportStatus.REFUSED
    assert "zip bomb" in job.message
    assert not job.file
    path = write(tmp_path, bomb, "sales.xlsx")
    with pytest.raises(CommandError, match="zip bomb"):
        call_command("import_data", "sales", str(path), "--as", world.director.username)


def test_a_part_unpacking_to_less_than_declared_is_not_a_workbook(tmp_path):
    workbook = lying_workbook(ROWS, padding=0, declared=1024**2)
    assert (
        refused(write(tmp_path, workbook, "short.xlsx")) == "The file is not a valid XLSX workbook."
    )


def test_an_honest_hand_made_zip_is_read(tmp_path):
    table = read_table(write(tmp_path, raw_zip(zip_parts(ROWS)), "honest.xlsx"))
    assert cells(table) == [[2, "1.1.2025", "C", "1"]]


def test_local_and_central_sizes_must_agree(tmp_path):
    parts = zip_parts(ROWS)
    name, data, crc, size, local = next(p for p in parts if p[0].endswith("sheet1.xml"))
    parts[parts.index((name, data, crc, size, local))] = (name, data, crc, size, local + 1)
    assert "zip bomb" in refused(write(tmp_path, raw_zip(parts), "twofaced.xlsx"))


def test_two_parts_under_one_name_are_refused(tmp_path):
    parts = zip_parts(ROWS)
    assert refused(write(tmp_path, raw_zip([*parts, parts[-1]]), "twins.xlsx")) == (
        "The file is not a valid XLSX workbook."
    )


def test_a_workbook_unpacking_past_the_total_limit_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(reading, "XLSX_MAX_UNCOMPRESSED", 1024)
    workbook = _workbook_with("xl/media/big.xml", os.urandom(4096))
    assert "zip bomb" in refused(write(tmp_path, workbook, "big.xlsx"))


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>&lol2;</t></si></sst>"""
XXE = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
<row r="1"><c r="A1" t="inlineStr"><is><t>&x;</t></is></c></row></sheetData></worksheet>"""


@pytest.mark.parametrize(
    ("part", "xml"),
    [("xl/sharedStrings.xml", BILLION_LAUGHS), ("xl/worksheets/sheet1.xml", XXE)],
    ids=["billion-laughs", "xxe"],
)
def test_xml_entity_tricks_in_a_workbook_are_refused(tmp_path, part, xml):
    message = refused(write(tmp_path, _workbook_with(part, xml), "evil.xlsx"))
    assert message == "The workbook contains XML entity declarations, which are not allowed."


def test_a_refused_upload_keeps_the_reason_and_not_the_file(world):
    job = upload(world.director, "sales", os.urandom(64 * 1024), "garbage.csv")
    assert job.status == ImportStatus.REFUSED
    assert job.message == "This is a binary file, not a CSV text or an XLSX workbook."
    assert not job.file
