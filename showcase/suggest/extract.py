"""Text from an evidence file: PDF (pypdf), Word (python-docx), OpenDocument (its content.xml),
plain text, and photos of documents through Tesseract OCR when the binary is installed.

Pure functions over a local file path: no Flask, no database. Every reader stops at the limits
it is given (bytes read, pages, characters, seconds), so a huge or hostile file costs a bounded
amount of work, and reports that it stopped early rather than failing.
"""

from __future__ import annotations

import shutil
import subprocess
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

from showcase.suggest.models import ExtractionStatus

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODF = "application/vnd.oasis.opendocument."
TEXT = "text/plain"
OCR_IMAGES = {"image/jpeg", "image/png", "image/webp"}

ODF_TEXT_NS = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"


@dataclass(frozen=True)
class Limits:
    """How much of a file extraction may read."""

    #: Bytes of the stored file read at most; a larger document is not opened at all (a PDF
    #: or a ZIP package cannot be read from its first bytes), a larger text file is cut.
    max_bytes: int = 20 * 1024 * 1024
    max_pages: int = 50
    max_chars: int = 100_000
    seconds: float = 20.0


@dataclass(frozen=True)
class Extracted:
    status: ExtractionStatus
    method: str
    text: str = ""
    truncated: bool = False
    detail: str | None = None


class _Deadline:
    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds

    @property
    def passed(self) -> bool:
        return time.monotonic() > self.end

    @property
    def left(self) -> float:
        return max(self.end - time.monotonic(), 0.1)


class _Collector:
    """Text pieces up to ``max_chars``; remembers whether anything was left out."""

    def __init__(self, max_chars: int) -> None:
        self.parts: list[str] = []
        self.size = 0
        self.max_chars = max_chars
        self.truncated = False

    def add(self, piece: str) -> bool:
        """Keep ``piece``; False once the limit is reached (stop reading)."""
        piece = piece.strip()
        if not piece:
            return True
        room = self.max_chars - self.size
        if len(piece) > room:
            piece = piece[:room]
            self.truncated = True
        self.parts.append(piece)
        self.size += len(piece) + 1
        return not self.truncated

    def result(self, method: str, *, truncated: bool = False, detail: str | None = None):
        text = "\n".join(self.parts).strip()
        status = ExtractionStatus.DONE if text else ExtractionStatus.EMPTY
        return Extracted(status, method, text, self.truncated or truncated, detail)


def ocr_available() -> bool:
    """Whether Debian's ``tesseract`` is installed (it is optional; never installed for us)."""
    return shutil.which("tesseract") is not None


def extract_file(path: Path, mime: str, size: int, limits: Limits) -> Extracted:
    """The text of the file at ``path`` (of sniffed type ``mime``), within ``limits``."""
    deadline = _Deadline(limits.seconds)
    collector = _Collector(limits.max_chars)
    if mime == TEXT:
        return _plain_text(path, limits, collector)
    if mime in OCR_IMAGES and not ocr_available():
        return Extracted(ExtractionStatus.UNSUPPORTED, "none", detail="no OCR on this server")
    readers = {PDF: _pdf, DOCX: _docx}
    reader = readers.get(mime)
    if reader is None and mime.startswith(ODF):
        reader = _odf
    if reader is None and mime in OCR_IMAGES:
        reader = _ocr
    if reader is None:
        return Extracted(ExtractionStatus.UNSUPPORTED, "none", detail=f"no text in {mime}")
    if size > limits.max_bytes:
        return Extracted(
            ExtractionStatus.FAILED,
            "none",
            detail=f"larger than the {limits.max_bytes // (1024 * 1024)} MB read for suggestions",
        )
    try:
        return reader(path, limits, collector, deadline)
    except Exception as error:  # a damaged, encrypted or hostile file: say so, never raise
        return Extracted(ExtractionStatus.FAILED, "none", detail=_describe(error))


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:300]


def _plain_text(path: Path, limits: Limits, collector: _Collector) -> Extracted:
    with path.open("rb") as handle:
        data = handle.read(limits.max_bytes + 1)
    cut = len(data) > limits.max_bytes
    collector.add(data[: limits.max_bytes].decode("utf-8", "replace"))
    return collector.result("text", truncated=cut)


def _pdf(path: Path, limits: Limits, collector: _Collector, deadline: _Deadline) -> Extracted:
    from pypdf import PdfReader

    reader = PdfReader(path)
    if reader.is_encrypted:
        return Extracted(ExtractionStatus.FAILED, "pdf", detail="the PDF is password-protected")
    pages = reader.pages
    stopped = None
    for number, page in enumerate(pages):
        if number >= limits.max_pages:
            stopped = f"read the first {limits.max_pages} pages"
            break
        if deadline.passed:
            stopped = f"stopped after {limits.seconds:g} seconds at page {number + 1}"
            break
        if not collector.add(page.extract_text() or ""):
            break
    return collector.result("pdf", truncated=stopped is not None, detail=stopped)


def _check_package(path: Path, member: str, limits: Limits) -> None:
    # A ZIP bomb: the member's declared uncompressed size is checked before anything is parsed.
    with zipfile.ZipFile(path) as archive:
        if archive.getinfo(member).file_size > limits.max_bytes * 4:
            raise ValueError(f"{member} is too large to read")


def _docx(path: Path, limits: Limits, collector: _Collector, deadline: _Deadline) -> Extracted:
    import docx

    _check_package(path, "word/document.xml", limits)
    document = docx.Document(str(path))
    pieces = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            pieces.append(" | ".join(cell.text for cell in row.cells))
    for piece in pieces:
        if deadline.passed or not collector.add(piece):
            break
    return collector.result("docx", truncated=deadline.passed)


def _odf(path: Path, limits: Limits, collector: _Collector, deadline: _Deadline) -> Extracted:
    # OpenDocument text, presentations and spreadsheets keep their words in content.xml as
    # text:p and text:h elements; the standard library reads them (expat refuses entity
    # expansion attacks since 2.4.1).
    _check_package(path, "content.xml", limits)
    with zipfile.ZipFile(path) as archive, archive.open("content.xml") as content:
        tree = ElementTree.parse(content)  # noqa: S314 (expat >= 2.4.1 limits expansion)
    for element in tree.iter():
        if element.tag in (f"{{{ODF_TEXT_NS}}}p", f"{{{ODF_TEXT_NS}}}h"):
            if deadline.passed or not collector.add("".join(element.itertext())):
                break
    return collector.result("odf", truncated=deadline.passed)


def _ocr(path: Path, limits: Limits, collector: _Collector, deadline: _Deadline) -> Extracted:
    tesseract = shutil.which("tesseract")
    assert tesseract is not None  # checked by extract_file
    try:
        done = subprocess.run(  # noqa: S603 (a fixed binary and our own temp file's path)
            [tesseract, str(path), "stdout"],
            capture_output=True,
            timeout=deadline.left,
            check=True,
        )
    except subprocess.TimeoutExpired:
        return Extracted(
            ExtractionStatus.FAILED, "ocr", detail=f"OCR took over {limits.seconds:g} seconds"
        )
    collector.add(done.stdout.decode("utf-8", "replace"))
    return collector.result("ocr")
