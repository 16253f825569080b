"""Builders of import files and jobs for the tests."""

import csv
import io
import struct
import zipfile
import zlib

import xlsxwriter
from django.core.files.uploadedfile import SimpleUploadedFile

from kam.imports.engine import run_import
from kam.imports.models import ImportJob
from kam.imports.services import import_job_create


def csv_bytes(rows: list[list], *, sep: str = ";", encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=sep, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list]) -> bytes:
    buffer = io.BytesIO()
    with xlsxwriter.Workbook(buffer, {"in_memory": True}) as book:
        sheet = book.add_worksheet()
        day = book.add_format({"num_format": "dd.mm.yyyy"})
        for number, row in enumerate(rows):
            for column, value in enumerate(row):
                if hasattr(value, "year"):
                    sheet.write_datetime(number, column, value, day)
                elif value is not None:
                    sheet.write(number, column, value)
    return buffer.getvalue()


def upload(user, kind: str, content: bytes, name: str = "data.csv") -> ImportJob:
    return import_job_create(by=user, kind=kind, uploaded_file=SimpleUploadedFile(name, content))


def import_file(user, kind: str, content: bytes, name: str = "data.csv") -> ImportJob:
    """Upload and run at once, as the command does."""
    job = upload(user, kind, content, name)
    return run_import(job.pk) if job.status == "uploaded" else job


def raw_zip(parts: list[tuple[str, bytes, int, int, int]]) -> bytes:
    """A zip written byte by byte: (name, deflated bytes, crc, declared size, local size).

    zipfile will not write headers that lie; an attacker's tool will, so the tests do too.
    """
    body, directory = io.BytesIO(), io.BytesIO()
    for name, data, crc, size, local_size in parts:
        encoded, offset = name.encode(), body.tell()
        local = struct.pack(
            "<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 0x21, crc, len(data), local_size,
            len(encoded), 0,
        )  # fmt: skip
        body.write(local + encoded + data)
        directory.write(
            struct.pack(
                "<4s6H3L5H2L",
                b"PK\x01\x02",
                20,
                20,
                0,
                8,
                0,
                0x21,
                crc,
                len(data),
                size,
                len(encoded),
                0,
                0,
                0,
                0,
                0,
                offset,
            )  # fmt: skip
            + encoded
        )
    start, listing = body.tell(), directory.getvalue()
    end = struct.pack(
        "<4s4H2LH", b"PK\x05\x06", 0, 0, len(parts), len(parts), len(listing), start, 0
    )
    return body.getvalue() + listing + end


def zip_parts(rows: list[list]) -> list[tuple[str, bytes, int, int, int]]:
    """The parts of an honest workbook of ``rows``, as :func:`raw_zip` takes them."""
    source = zipfile.ZipFile(io.BytesIO(xlsx_bytes(rows)))
    parts = []
    for entry in source.infolist():
        content = source.read(entry)
        deflate = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
        data = deflate.compress(content) + deflate.flush()
        parts.append((entry.filename, data, zlib.crc32(content), len(content), len(content)))
    return parts


def lying_workbook(rows: list[list], *, padding: int, declared: int = 4096) -> bytes:
    """A workbook whose first sheet really unpacks to its XML plus ``padding`` spaces, while its
    zip headers declare ``declared`` bytes and carry the CRC of that many first bytes — what
    zipfile checks when it reads up to the declared size. Built in milliseconds for any padding:
    after a full flush, every megabyte of spaces deflates to the same bytes."""
    source = zipfile.ZipFile(io.BytesIO(xlsx_bytes(rows)))
    parts = []
    for entry in source.infolist():
        content = source.read(entry)
        deflate = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
        if entry.filename != "xl/worksheets/sheet1.xml":
            data = deflate.compress(content) + deflate.flush()
            parts.append((entry.filename, data, zlib.crc32(content), len(content), len(content)))
            continue
        cut = content.rindex(b"</worksheet>")
        head = deflate.compress(content[:cut]) + deflate.flush(zlib.Z_FULL_FLUSH)
        block = deflate.compress(b" " * 1024**2) + deflate.flush(zlib.Z_FULL_FLUSH)
        megabytes, rest = divmod(padding, 1024**2)
        tail = deflate.compress(b" " * rest + content[cut:]) + deflate.flush()
        first = (content[:cut] + b" " * declared)[:declared]
        data = head + block * megabytes + tail
        parts.append((entry.filename, data, zlib.crc32(first), declared, declared))
    return raw_zip(parts)
