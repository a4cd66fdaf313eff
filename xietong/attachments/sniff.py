"""What a file is, from its first bytes (magic numbers), in pure Python: no libmagic.

``sniff(stream, filename)`` answers a MIME type. Types a browser would run (HTML, SVG, XML,
JavaScript) and programs (MZ, ELF, Mach-O, ``#!`` scripts) come back as one of ``REFUSED``'s keys,
whatever the file is called; the services refuse those. A file named like one of those types
(``.html``, ``.svg``, ``.js``, ``.exe``…) is refused whatever its content, since the name is what
the downloader's computer will open it by.
"""

from __future__ import annotations

import struct
import zipfile
from typing import IO

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

SAMPLE_BYTES = 8192
OCTET_STREAM = "application/octet-stream"

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
GIF = "image/gif"
WEBP = "image/webp"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
DOC = "application/msword"
XLS = "application/vnd.ms-excel"
PPT = "application/vnd.ms-powerpoint"
TEXT = "text/plain"
CSV = "text/csv"

HTML = "text/html"
SVG = "image/svg+xml"
XML = "application/xml"
JAVASCRIPT = "text/javascript"
PROGRAM = "application/x-executable"

# The refused types, with what to call them in the refusal.
REFUSED: dict[str, Promise] = {
    HTML: _("a web page (HTML)"),
    SVG: _("an SVG image"),
    XML: _("an XML document"),
    JAVASCRIPT: _("a JavaScript program"),
    PROGRAM: _("a program"),
}

REFUSED_EXTENSIONS: dict[str, str] = {
    **dict.fromkeys(("htm", "html", "xhtml", "shtml", "mht", "mhtml", "hta"), HTML),
    **dict.fromkeys(("svg", "svgz"), SVG),
    **dict.fromkeys(("xml", "xsl", "xslt"), XML),
    **dict.fromkeys(("js", "mjs", "cjs", "jse", "vbs", "wsf"), JAVASCRIPT),
    **dict.fromkeys(("exe", "dll", "com", "scr", "msi", "bat", "cmd", "ps1", "sh", "elf", "jar", "app"), PROGRAM),
}

PROGRAM_MAGIC = (
    b"MZ",  # Windows (PE/DOS)
    b"\x7fELF",  # Linux and most Unixes
    b"\xfe\xed\xfa\xce",  # Mach-O, 32 and 64 bits, both byte orders
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",  # Mach-O universal binary (and Java class files)
    b"#!",  # scripts run by an interpreter
)

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"

# Leading tags after which a browser sniffs a text as HTML (WHATWG MIME Sniffing, "text/html").
HTML_LEADS = (
    "<!doctype html",
    "<html",
    "<head",
    "<script",
    "<iframe",
    "<h1",
    "<div",
    "<font",
    "<table",
    "<a",
    "<style",
    "<title",
    "<b",
    "<body",
    "<br",
    "<p",
    "<!--",
)
# Markup that makes a text HTML wherever it appears in the sample (polyglots hide it after text).
HTML_ANYWHERE = ("<!doctype html", "<html", "<script", "<iframe", "<svg", "<object", "<embed")

ZIP_OFFICE_PARTS = (("word/document.xml", DOCX), ("xl/workbook.xml", XLSX), ("ppt/presentation.xml", PPTX))
OLE_STREAMS = (("WordDocument", DOC), ("Workbook", XLS), ("Book", XLS), ("PowerPoint Document", PPT))


def extension(filename: str) -> str:
    stem, dot, ext = filename.rpartition(".")
    return ext.lower() if dot and stem else ""


def sniff(stream: IO[bytes], filename: str = "") -> str:
    """The MIME type of the file ``stream`` (read from its start; left at its start)."""
    refused = REFUSED_EXTENSIONS.get(extension(filename))
    if refused is not None:
        return refused
    stream.seek(0)
    head = stream.read(SAMPLE_BYTES + 1)
    stream.seek(0)
    is_cut, head = len(head) > SAMPLE_BYTES, head[:SAMPLE_BYTES]
    if head.startswith(PROGRAM_MAGIC):
        return PROGRAM
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(ZIP_MAGIC):
        return _zip_office(stream)
    if head.startswith(OLE_MAGIC):
        return _ole_office(stream)
    text = _utf8_text(head, is_cut=is_cut)
    if text is None:
        return OCTET_STREAM
    return _text_type(text, filename)


def _utf8_text(head: bytes, *, is_cut: bool) -> str | None:
    """The sample as text if it is UTF-8 without control characters (the sample's last character may
    be cut in two when the file goes on)."""
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if not is_cut or exc.reason != "unexpected end of data" or exc.start < len(head) - 3:
            return None
        text = head[: exc.start].decode("utf-8")
    if any((ord(ch) < 32 and ch not in "\t\n\r\f") or ch == "\x7f" for ch in text):
        return None
    return text


def _text_type(text: str, filename: str) -> str:
    lead = text.lstrip().lower()
    if lead.startswith("<?xml"):
        return SVG if "<svg" in lead else XML
    if lead.startswith("<svg"):
        return SVG
    for tag in HTML_LEADS:
        if lead.startswith(tag) and lead[len(tag) : len(tag) + 1] in (" ", ">", "\t", "\n", "\r", "\f", "/"):
            return HTML
    if any(marker in lead for marker in HTML_ANYWHERE):
        return HTML
    return CSV if extension(filename) == "csv" else TEXT


def _zip_office(stream: IO[bytes]) -> str:
    """docx, xlsx or pptx: a zip with ``[Content_Types].xml`` and the format's main part."""
    try:
        with zipfile.ZipFile(stream) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return OCTET_STREAM
    finally:
        stream.seek(0)
    if "[Content_Types].xml" not in names:
        return OCTET_STREAM
    return next((mime for part, mime in ZIP_OFFICE_PARTS if part in names), OCTET_STREAM)


_OLE_LAST_SECTOR = 0xFFFFFFFA  # higher numbers are markers (end of chain, free, FAT sector…)
_OLE_MAX_DIRECTORY_SECTORS = 1024


def _ole_office(stream: IO[bytes]) -> str:
    """doc, xls or ppt: an OLE compound file with the format's main stream in its directory."""
    try:
        names = _ole_stream_names(stream)
    except (OSError, ValueError, struct.error):
        return OCTET_STREAM
    finally:
        stream.seek(0)
    return next((mime for name, mime in OLE_STREAMS if name in names), OCTET_STREAM)


def _ole_stream_names(stream: IO[bytes]) -> set[str]:
    stream.seek(0)
    header = stream.read(512)
    if len(header) < 512:
        return set()
    shift = struct.unpack_from("<H", header, 30)[0]
    if shift not in (9, 12):
        return set()
    size = 1 << shift

    def sector(number: int) -> bytes:
        stream.seek((number + 1) * size)
        return stream.read(size)

    fat: list[int] = []
    for fat_sector in struct.unpack_from("<109I", header, 76):  # the header's first 109 FAT sectors
        if fat_sector >= _OLE_LAST_SECTOR:
            continue
        data = sector(fat_sector)
        fat.extend(struct.unpack(f"<{len(data) // 4}I", data[: len(data) // 4 * 4]))
    names: set[str] = set()
    current: int = struct.unpack_from("<I", header, 48)[0]
    seen: set[int] = set()
    while current < _OLE_LAST_SECTOR and current not in seen and len(seen) < _OLE_MAX_DIRECTORY_SECTORS:
        seen.add(current)
        data = sector(current)
        for offset in range(0, len(data) - 127, 128):
            length = struct.unpack_from("<H", data, offset + 64)[0]
            if 2 <= length <= 64:
                names.add(data[offset : offset + length - 2].decode("utf-16-le", "replace"))
        current = fat[current] if current < len(fat) else _OLE_LAST_SECTOR
    return names
