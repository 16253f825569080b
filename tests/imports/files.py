"""Builders of import files and jobs for the tests."""

import csv
import io

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
