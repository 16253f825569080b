"""Turn an uploaded file into a table of text cells, refusing hostile or unreadable files early.

Everything is decided from the first bytes where possible (signatures, NUL bytes, encoding), so a
100 MB blob of garbage is refused in milliseconds. XLSX archives are checked entry by entry before
a reader touches them: each part is inflated here, counting the bytes it really unpacks to, and a
part that unpacks to more (or less) than its header declares is refused — the declared sizes are
what an attacker writes, the inflated bytes are what a reader would have to hold.
"""

import codecs
import re
import struct
import tempfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO, TypedDict

import fastexcel
import polars as pl
from defusedxml import ElementTree
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

SNIFF_BYTES = 64 * 1024
ROW = "__row"  # the row number as Excel shows it (header = 1)
EXTRA = "__extra"  # a CSV row's values beyond the last header
ZIP_SIGNATURE = b"PK\x03\x04"
OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls
XLSX_MAX_ENTRIES = 10_000
XLSX_MAX_UNCOMPRESSED = 1024**3
# Spreadsheet XML compresses 5–30×; zip bombs reach 1000×. Small parts may compress better.
XLSX_MAX_RATIO = 200
XLSX_RATIO_FROM = 1024**2
DELIMITERS = (";", ",", "\t")


class RefusedFile(Exception):
    """The file cannot be imported at all; the message says why, for the user."""


@dataclass(frozen=True)
class Table:
    """Headers as found, and one text column ``c0``, ``c1``… per header plus ``__row``."""

    header: list[str]
    rows: pl.DataFrame

    @property
    def cells(self) -> list[str]:
        return [f"c{i}" for i in range(len(self.header))]


def check_size(size: int) -> None:
    if size == 0:
        raise RefusedFile(_("The file is empty."))
    if size > settings.KAM_IMPORT_MAX_BYTES:
        raise RefusedFile(
            _("The file is too large (%(size)s); the limit is %(limit)s.")
            % {
                "size": filesizeformat(size),
                "limit": filesizeformat(settings.KAM_IMPORT_MAX_BYTES),
            }
        )


def read_table(path: Path, *, limit: int | None = None) -> Table:
    """Read the first sheet of an XLSX file or a CSV file; ``limit`` caps the data rows."""
    size = path.stat().st_size
    check_size(size)
    with path.open("rb") as f:
        head = f.read(SNIFF_BYTES)
    if head.startswith(ZIP_SIGNATURE):
        first_row = _check_workbook(path)
        raw = _read_xlsx(path, limit)
    elif head.startswith(OLE2_SIGNATURE):
        raise RefusedFile(_("Old .xls workbooks are not supported; save the file as .xlsx or CSV."))
    elif path.suffix.lower() in {".xlsx", ".xlsm", ".xls"}:
        raise RefusedFile(_("The file is named like a workbook but is not an XLSX file."))
    else:
        first_row = 1
        raw = _read_csv(path, head, complete=len(head) == size, limit=limit)
    return _tidy(raw, first_row)


def _tidy(raw: pl.DataFrame, first_row: int) -> Table:
    if raw.height == 0 or raw.width == 0:
        raise RefusedFile(_("The file is empty."))
    names = [f"c{i}" for i in range(raw.width)]
    if raw.columns[-1] == EXTRA:
        names[-1] = EXTRA
    raw = raw.rename(dict(zip(raw.columns, names, strict=True)))
    header = [(value or "").strip() for value in raw.row(0)]
    if raw.columns[-1] == EXTRA:
        header.pop()
    if not any(header):
        raise RefusedFile(_("The first row must hold the column headers; it is empty."))
    # Cells are compared as text: surrounding spaces never matter, an empty cell is no value.
    cleaned = [
        pl.when(pl.col(c).str.strip_chars() != "").then(pl.col(c).str.strip_chars()).alias(c)
        for c in names
    ]
    rows = (
        raw.lazy()
        .slice(1)
        .with_row_index(ROW, offset=first_row + 1)
        .with_columns(pl.col(ROW).cast(pl.Int64), *cleaned)
        .filter(pl.any_horizontal(pl.col(names).is_not_null()))
        .collect()
    )
    if rows.height == 0:
        raise RefusedFile(_("The file has column headers but no rows below them."))
    return Table(header=header, rows=rows)


# CSV ------------------------------------------------------------------------------------------


class _NotUtf8(Exception):
    pass


def _read_csv(path: Path, head: bytes, *, complete: bool, limit: int | None) -> pl.DataFrame:
    encoding, text = _sniff_text(head, complete=complete)
    first_line = text.split("\n", 1)[0]
    separator = max(DELIMITERS, key=first_line.count)
    if encoding != "cp1251":
        try:
            return _parse_csv(path, separator, limit)
        except _NotUtf8 as error:
            if encoding == "utf-8":
                raise RefusedFile(
                    _("The file is not valid UTF-8 throughout; save it as UTF-8 or cp1251 text.")
                ) from error
            # The start was plain ASCII, so cp1251 further down is still possible.
    # Polars reads UTF-8 only: Russian ERPs' cp1251 is re-encoded in a streaming pass.
    with tempfile.NamedTemporaryFile(suffix=".csv") as utf8:
        with path.open("rb") as source:
            try:
                while chunk := source.read(1024**2):
                    utf8.write(chunk.decode("cp1251").encode())
            except UnicodeDecodeError as error:
                raise RefusedFile(
                    _("The file is not readable text (not UTF-8 or cp1251).")
                ) from error
        utf8.flush()
        return _parse_csv(Path(utf8.name), separator, limit)


def _sniff_text(head: bytes, *, complete: bool) -> tuple[str, str]:
    """The encoding ("ascii" when the start does not tell) and the decoded start."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise RefusedFile(_("UTF-16 text is not supported; save the CSV as UTF-8."))
    if b"\x00" in head:
        raise RefusedFile(_("This is a binary file, not a CSV text or an XLSX workbook."))
    try:
        text = codecs.getincrementaldecoder("utf-8-sig")().decode(head, final=complete)
        encoding = "ascii" if head.isascii() else "utf-8"
    except UnicodeDecodeError:
        try:
            text, encoding = head.decode("cp1251"), "cp1251"
        except UnicodeDecodeError as error:
            raise RefusedFile(_("The file is not readable text (not UTF-8 or cp1251).")) from error
    controls = len(re.findall(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", text))
    if controls > len(text) / 100:
        raise RefusedFile(_("This is a binary file, not a CSV text or an XLSX workbook."))
    return encoding, text


class _CsvOptions(TypedDict):
    separator: str
    has_header: bool
    quote_char: str
    truncate_ragged_lines: bool


def _parse_csv(path: Path, separator: str, limit: int | None) -> pl.DataFrame:
    options: _CsvOptions = {
        "separator": separator,
        "has_header": False,
        "quote_char": '"',
        "truncate_ragged_lines": True,
    }
    try:
        width = pl.read_csv(path, n_rows=1, infer_schema=False, **options).width
        # One spare column catches rows with more values than headers (reported per row).
        schema = {f"c{i}": pl.String for i in range(width)} | {EXTRA: pl.String}
        return pl.read_csv(
            path,
            schema=schema,
            missing_columns="insert",
            n_rows=None if limit is None else limit + 1,
            **options,
        )
    except pl.exceptions.NoDataError as error:
        raise RefusedFile(_("The file is empty.")) from error
    except pl.exceptions.ComputeError as error:
        if "utf-8" in str(error).lower():
            raise _NotUtf8 from error
        raise RefusedFile(
            _("The file cannot be read as CSV: %(error)s") % {"error": error}
        ) from error


# XLSX -----------------------------------------------------------------------------------------

REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
PACKAGE_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
# The first cell holding a value (calamine skips leading empty rows); tags may carry a prefix.
FIRST_CELL = re.compile(
    rb'<(?:\w+:)?c\b[^>]*?\br="[A-Z]+([0-9]+)"[^>]*(?<!/)>(?:(?!</(?:\w+:)?c>).)*?<(?:\w+:)?(?:v|is)\b',
    re.S,
)
BINARY_PARTS = ("xl/media/", "xl/embeddings/")  # images and OLE objects: never parsed as XML
DTD = (b"<!DOCTYPE", b"<!ENTITY")
INFLATE_CHUNK = 1024**2  # memory bound of the check: one chunk in, at most one chunk out
LOCAL_HEADER = struct.Struct("<4s5H3L2H")  # signature … file name length, extra field length
LOCAL_SIGNATURE = b"PK\x03\x04"
ZIP64_MARK = 0xFFFFFFFF  # a local size kept in the ZIP64 extra field instead


def _check_workbook(path: Path) -> int:
    """Refuse zip bombs and XML entity tricks; return the row number of the header."""
    not_workbook = _("The file is not a valid XLSX workbook.")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        raise RefusedFile(not_workbook) from error
    with archive:
        entries = archive.infolist()
        names = {entry.filename for entry in entries}
        # Two parts under one name: which one a reader takes is up to the reader.
        if len(names) != len(entries):
            raise RefusedFile(not_workbook)
        if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
            raise RefusedFile(not_workbook)
        bomb = _("The workbook unpacks to too much data; it looks like a zip bomb.")
        if len(entries) > XLSX_MAX_ENTRIES:
            raise RefusedFile(bomb)
        # Declared sizes first (cheap); every part's real size is then proven equal to them.
        if sum(entry.file_size for entry in entries) > XLSX_MAX_UNCOMPRESSED:
            raise RefusedFile(bomb)
        for entry in entries:
            ratio = entry.file_size / max(entry.compress_size, 1)
            if entry.file_size > XLSX_RATIO_FROM and ratio > XLSX_MAX_RATIO:
                raise RefusedFile(bomb)
        try:
            with path.open("rb") as raw:
                for entry in entries:
                    _inflate_part(raw, entry, bomb)
            sheet = _first_sheet(archive)
            with archive.open(sheet) as part:
                found = FIRST_CELL.search(part.read(1024**2))
        except (
            zipfile.BadZipFile,
            KeyError,
            ElementTree.ParseError,
            OSError,
            zlib.error,
            struct.error,
            RuntimeError,  # an encrypted entry
            NotImplementedError,  # an exotic compression method
        ) as error:
            raise RefusedFile(not_workbook) from error
    return int(found.group(1)) if found else 1


def _inflate_part(raw: BinaryIO, entry: zipfile.ZipInfo, bomb: str) -> int:
    """Inflate one part from its raw bytes, as a reader would, and return the bytes it unpacks to.

    Stops as soon as the output passes the declared size (a lying header is a bomb, refused after
    one chunk however large the real content) and keeps one chunk in memory at a time. XML parts
    are scanned for DTDs on the way; images and OLE objects are only counted.
    """
    if entry.flag_bits & 0x1:
        raise RuntimeError("encrypted")
    if entry.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise NotImplementedError(entry.compress_type)
    raw.seek(entry.header_offset)
    header = LOCAL_HEADER.unpack(raw.read(LOCAL_HEADER.size))
    signature, _version, flags, method, *_rest, name_length, extra_length = header
    if signature != LOCAL_SIGNATURE or method != entry.compress_type:
        raise zipfile.BadZipFile("local header")
    local_sizes = (header[7], header[8])
    trusted = not flags & 0x8 and ZIP64_MARK not in local_sizes  # else sizes live elsewhere
    if trusted and local_sizes != (entry.compress_size, entry.file_size):
        raise RefusedFile(bomb)  # the local header and the directory disagree on the sizes
    raw.seek(name_length + extra_length, 1)
    inflater = zlib.decompressobj(-zlib.MAX_WBITS) if method == zipfile.ZIP_DEFLATED else None
    scan = not entry.filename.startswith(BINARY_PARTS)
    left, produced, tail, crc = entry.compress_size, 0, None, 0
    while left or (inflater and inflater.unconsumed_tail):
        if inflater and inflater.unconsumed_tail:
            chunk = inflater.decompress(inflater.unconsumed_tail, INFLATE_CHUNK)
        else:
            data = raw.read(min(left, INFLATE_CHUNK))
            if not data:
                raise zipfile.BadZipFile("truncated part")
            left -= len(data)
            chunk = inflater.decompress(data, INFLATE_CHUNK) if inflater else data
        produced += len(chunk)
        if produced > entry.file_size:
            raise RefusedFile(bomb)
        crc = zlib.crc32(chunk, crc)
        if scan and chunk:
            _scan_xml(chunk, tail)
            tail = chunk[-16:]
    if inflater:
        rest = inflater.flush()  # output zlib may still hold (bounded by its window)
        produced, crc = produced + len(rest), zlib.crc32(rest, crc)
    if (inflater and not inflater.eof) or produced != entry.file_size or crc != entry.CRC:
        raise zipfile.BadZipFile("the part does not match its header")
    return produced


def _scan_xml(chunk: bytes, tail: bytes | None) -> None:
    """No DTDs (entity expansion, external entities) and no UTF-16 in the workbook's XML;
    ``tail`` is the end of the previous chunk (None for the first), so no marker hides across."""
    if tail is None and chunk.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise RefusedFile(_("The workbook's XML is in an unsupported encoding."))
    window = (tail or b"") + chunk
    if any(marker in window for marker in DTD):
        raise RefusedFile(
            _("The workbook contains XML entity declarations, which are not allowed.")
        )


def _first_sheet(archive: zipfile.ZipFile) -> str:
    """The part of the first sheet in workbook order — the one the reader loads."""
    workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    first = workbook.find(f"{MAIN}sheets/{MAIN}sheet")
    relations = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    for relation in relations.iter(f"{PACKAGE_REL}Relationship"):
        if first is not None and relation.get("Id") == first.get(REL):
            target = relation.get("Target", "")
            if target.startswith("/"):
                return target.lstrip("/")
            return str(PurePosixPath("xl") / target)
    raise KeyError("first sheet")


def _read_xlsx(path: Path, limit: int | None) -> pl.DataFrame:
    try:
        reader = fastexcel.read_excel(str(path))
        sheet = reader.load_sheet(
            0, header_row=None, dtypes="string", n_rows=None if limit is None else limit + 1
        )
        frame = sheet.to_polars()
    except Exception as error:  # fastexcel raises its own family for every malformed part
        raise RefusedFile(_("The file is not a valid XLSX workbook.")) from error
    return frame.with_columns(_excel_number(pl.col(c)) for c in frame.columns)


def _excel_number(cell: pl.Expr) -> pl.Expr:
    """Excel stores 0.1+0.2 as 0.30000000000000004 but shows 15 significant digits: so do we."""
    digits = cell.str.replace_all(r"[^0-9]", "").str.strip_chars_start("0").str.len_chars()
    noisy = cell.str.contains(r"^-?[0-9]+\.[0-9]+$") & (digits > 15)
    return (
        pl.when(noisy)
        .then(cell.cast(pl.Float64).round_sig_figs(15).cast(pl.String))
        .otherwise(cell)
    )
