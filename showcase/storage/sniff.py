"""Decide what an uploaded file really is, from its content, and whether Showcase accepts it.

The client's Content-Type and the file name are never trusted to say what a file is. python-magic
(libmagic) names the type from the first bytes; then a structure check for that type opens the
file the way a viewer would (the ZIP directory of an Office file, Pillow for images, the box
tree of an MP4, …), because libmagic only looks at a few bytes and is easy to fool. Finally the
extension of the user's file name must agree with the content.

Legacy binary Office files (.doc/.xls/.ppt) are refused with a request to save them as .docx/
.xlsx/.pptx: finding macros in them needs a full OLE2 parser (and PowerPoint 97 hides VBA
inside a compressed stream, not in a named storage), every current office suite writes the XML
formats, and refusing is the safe choice. ``olefile`` would be the library to use if that changes.

HEIC is checked structurally (ftyp brand, a ``meta`` box) because Pillow can't decode HEVC;
when the optional ``pillow-heif`` package is installed, the image is also opened with Pillow.
"""

from __future__ import annotations

import codecs
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal

import magic
from PIL import Image, UnidentifiedImageError

from showcase.errors import UnsupportedFileType

try:  # Optional: lets Pillow open (and so verify) HEIC photos.
    from pillow_heif import register_heif_opener
except ImportError:  # pragma: no cover - depends on the environment
    HAVE_PILLOW_HEIF = False
else:  # pragma: no cover - depends on the environment
    register_heif_opener()
    HAVE_PILLOW_HEIF = True

Category = Literal["document", "image", "audio", "video"]


@dataclass(frozen=True)
class FileType:
    """An accepted kind of file and how the app may serve it."""

    mime: str
    #: Short name for people, e.g. "JPEG image".
    label: str
    #: Extensions a file of this type may have; the first is the one to use by default.
    extensions: tuple[str, ...]
    #: Whether browsers may show it inline (PDF, images, audio, video); else download only.
    inline: bool
    category: Category
    article: str = "a"

    @property
    def extension(self) -> str:
        """The usual extension for this type, with its dot."""
        return self.extensions[0]

    @property
    def described(self) -> str:
        """The label with its article, for messages: "a JPEG image"."""
        return f"{self.article} {self.label}"


_OOXML = "application/vnd.openxmlformats-officedocument"
_ODF = "application/vnd.oasis.opendocument"

# mime, label, extensions (first = usual), inline, category, article for messages
_TABLE: list[tuple[str, str, str, bool, Category, str]] = [
    ("application/pdf", "PDF document", ".pdf", True, "document", "a"),
    (f"{_OOXML}.wordprocessingml.document", "Word document", ".docx", False, "document", "a"),
    (f"{_OOXML}.spreadsheetml.sheet", "Excel spreadsheet", ".xlsx", False, "document", "an"),
    (
        f"{_OOXML}.presentationml.presentation",
        "PowerPoint presentation",
        ".pptx",
        False,
        "document",
        "a",
    ),
    (f"{_ODF}.text", "OpenDocument text", ".odt", False, "document", "an"),
    (f"{_ODF}.spreadsheet", "OpenDocument spreadsheet", ".ods", False, "document", "an"),
    (f"{_ODF}.presentation", "OpenDocument presentation", ".odp", False, "document", "an"),
    ("text/plain", "plain text file", ".txt", False, "document", "a"),
    ("image/jpeg", "JPEG image", ".jpg .jpeg", True, "image", "a"),
    ("image/png", "PNG image", ".png", True, "image", "a"),
    ("image/heic", "HEIC image", ".heic .heif", True, "image", "a"),
    ("image/webp", "WebP image", ".webp", True, "image", "a"),
    ("audio/mpeg", "MP3 audio file", ".mp3", True, "audio", "an"),
    ("audio/mp4", "M4A audio file", ".m4a .mp4", True, "audio", "an"),
    ("audio/wav", "WAV audio file", ".wav", True, "audio", "a"),
    ("audio/ogg", "Ogg audio file", ".ogg .oga .opus", True, "audio", "an"),
    ("video/mp4", "MP4 video", ".mp4 .m4v", True, "video", "an"),
    ("video/quicktime", "QuickTime video", ".mov", True, "video", "a"),
    ("video/webm", "WebM video", ".webm", True, "video", "a"),
]

#: Every type Showcase accepts, by canonical MIME type. The app serves files with this MIME
#: type (never the client's) and shows inline only the types marked ``inline``.
FILE_TYPES: dict[str, FileType] = {
    mime: FileType(mime, label, tuple(exts.split()), inline, category, article)
    for mime, label, exts, inline, category, article in _TABLE
}

ACCEPTED = (
    "Showcase accepts PDF, Word, Excel, PowerPoint, OpenDocument and plain-text documents; "
    "JPEG, PNG, HEIC and WebP images; MP3, M4A, WAV and Ogg audio; and MP4, MOV and WebM video."
)

#: How much of the file libmagic and the quick checks look at.
HEAD_SIZE = 64 * 1024
_SCAN_CHUNK = 1024 * 1024

# Markup that has no business inside an image, after a PDF's end or at the ends of a media
# file: the signs of an HTML/PHP polyglot. Only patterns of 5+ bytes, so compressed data
# practically never matches by chance.
_MARKUP = re.compile(rb"<(?:script|\?php|html|iframe|!doctype\s+html)", re.IGNORECASE)
# For text files the net is wider: any of these means the "text" is really a page or script.
_TEXT_MARKUP = re.compile(
    r"<(?:script|\?php|html|svg|iframe|!doctype|object|embed)\b", re.IGNORECASE
)
_TEXT_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f\x7f]")


def file_type(mime: str) -> FileType | None:
    """The accepted FileType for a canonical MIME type, or None."""
    return FILE_TYPES.get(mime)


def refuse(message: str) -> UnsupportedFileType:
    """An UnsupportedFileType for the upload field, ready to raise."""
    return UnsupportedFileType(message, field="file")


def _refuse_as(description: str, mime: str) -> UnsupportedFileType:
    return refuse(f"This file is {description} ({mime}); {ACCEPTED}")


def _damaged(ftype: FileType, detail: str = "") -> UnsupportedFileType:
    why = f" ({detail})" if detail else ""
    return refuse(
        f"This {ftype.label} seems damaged or incomplete{why}. Open it on your device to check "
        "it, then upload it again."
    )


# -- refusal descriptions for things we never accept -------------------------------------------

_EXECUTABLES = {
    "application/x-dosexec",
    "application/vnd.microsoft.portable-executable",
    "application/x-msdownload",
    "application/x-executable",
    "application/x-sharedlib",
    "application/x-pie-executable",
    "application/x-mach-binary",
    "application/x-elf",
    "application/x-object",
    "application/x-coredump",
    "application/x-msi",
    "application/x-ms-installer",
    "application/java-archive",
    "application/x-java-applet",
    "application/vnd.android.package-archive",
    "application/x-apple-diskimage",
    "application/x-ms-shortcut",
}
_ARCHIVES = {
    "application/zip",
    "application/x-zip-compressed",
    "application/x-rar",
    "application/vnd.rar",
    "application/x-7z-compressed",
    "application/x-tar",
    "application/gzip",
    "application/x-gzip",
    "application/x-bzip2",
    "application/x-xz",
    "application/x-lzma",
    "application/zstd",
    "application/x-lzip",
    "application/x-iso9660-image",
    "application/x-cpio",
    "application/x-archive",
}
_WEB = {"text/html", "application/xhtml+xml"}
_XML = {"text/xml", "application/xml"}


def describe_refused(mime: str) -> str:
    """A short description of a type Showcase refuses, for error messages."""
    if mime in _EXECUTABLES:
        return "an executable"
    if (mime.startswith("text/x-") and ("script" in mime or mime.endswith(("-php", "-perl")))) or (
        mime in {"text/x-msdos-batch", "application/javascript", "text/javascript"}
    ):
        return "a script"
    if mime in _WEB:
        return "a web page (HTML)"
    if mime == "image/svg+xml":
        return "an SVG image, which can contain scripts"
    if mime in _XML:
        return "an XML file"
    if mime in _ARCHIVES:
        return "an archive"
    if mime.startswith(("image/", "audio/", "video/")):
        kind = mime.partition("/")[0]
        article = "a" if kind == "video" else "an"
        return f"{article} {kind} format Showcase does not accept"
    return "a type of file Showcase does not accept"


# -- helpers over the file -----------------------------------------------------------------------


def _read_at(handle: BinaryIO, offset: int, size: int) -> bytes:
    handle.seek(offset)
    return handle.read(size)


def _scan(path: Path, pattern: re.Pattern[bytes], start: int = 0, end: int | None = None) -> bool:
    """Whether ``pattern`` occurs in bytes ``start..end`` of the file, read in chunks."""
    overlap = 32  # longer than any match, so one split across two chunks is still seen
    with path.open("rb") as handle:
        handle.seek(start)
        position, carry = start, b""
        while end is None or position < end:
            want = _SCAN_CHUNK if end is None else min(_SCAN_CHUNK, end - position)
            chunk = handle.read(want)
            if not chunk:
                return False
            window = carry + chunk
            if pattern.search(window):
                return True
            carry = window[-overlap:]
            position += len(chunk)
    return False


def _is_zip(path: Path) -> bool:
    """Whether a ZIP reader would open the file (a ZIP directory at its end)."""
    try:
        with zipfile.ZipFile(path) as archive:
            return bool(archive.infolist())
    except Exception:
        # Anything a ZIP reader chokes on means it would not open this as a ZIP either.
        return False


def _refuse_polyglot(ftype: FileType, what: str) -> UnsupportedFileType:
    return refuse(
        f"This {ftype.label} also contains {what}, so it was refused for safety. Export or "
        "save the original again and upload that."
    )


def _check_no_zip(path: Path, ftype: FileType) -> None:
    if _is_zip(path):
        raise _refuse_polyglot(ftype, "a hidden ZIP archive")


def _check_ends_for_markup(path: Path, size: int, ftype: FileType) -> None:
    """Media files: look for HTML at both ends, where polyglots put it."""
    if _scan(path, _MARKUP, 0, HEAD_SIZE) or _scan(path, _MARKUP, max(0, size - HEAD_SIZE)):
        raise _refuse_polyglot(ftype, "web page or script code")


# -- documents -----------------------------------------------------------------------------------


def _check_pdf(path: Path, size: int) -> FileType:
    ftype = FILE_TYPES["application/pdf"]
    with path.open("rb") as handle:
        tail_start = max(0, size - HEAD_SIZE)
        tail = _read_at(handle, tail_start, HEAD_SIZE)
    end = tail.rfind(b"%%EOF")
    if end < 0:
        raise _damaged(ftype, "it has no end marker")
    # Incremental updates sit before the last %%EOF; after it only whitespace belongs.
    if _MARKUP.search(tail[end:]):
        raise _refuse_polyglot(ftype, "web page or script code after its end")
    _check_no_zip(path, ftype)
    return ftype


_MACRO_FAMILIES = {
    "word": "Word documents with macros (.docm) are not accepted — save it as .docx",
    "excel": "Excel workbooks with macros (.xlsm, .xlsb) are not accepted — save it as .xlsx",
    "powerpoint": (
        "PowerPoint presentations with macros (.pptm) are not accepted — save it as .pptx"
    ),
    "office": "Office documents with macros are not accepted — save it without them",
}
_OOXML_MAIN = {
    f"{_OOXML}.wordprocessingml.document.main+xml": f"{_OOXML}.wordprocessingml.document",
    f"{_OOXML}.spreadsheetml.sheet.main+xml": f"{_OOXML}.spreadsheetml.sheet",
    f"{_OOXML}.presentationml.presentation.main+xml": f"{_OOXML}.presentationml.presentation",
}
_OOXML_OTHER = {
    "wordprocessingml.template": "Word templates (.dotx) are not accepted — save it as .docx",
    "spreadsheetml.template": "Excel templates (.xltx) are not accepted — save it as .xlsx",
    "presentationml.template": "PowerPoint templates (.potx) are not accepted — save it as .pptx",
    "presentationml.slideshow": "PowerPoint shows (.ppsx) are not accepted — save it as .pptx",
}
_OVERRIDE = re.compile(rb"<(?:\w+:)?Override\b[^>]*>", re.IGNORECASE)
_ATTR = re.compile(rb'(PartName|ContentType)\s*=\s*["\']([^"\']*)["\']', re.IGNORECASE)
_MAX_ZIP_ENTRIES = 20_000
_MAX_CONTENT_TYPES = 1024 * 1024


def _office_family(content_types: bytes, names: set[str]) -> str:
    """Which Office application a (macro-enabled) package belongs to."""
    families: tuple[tuple[str, bytes, str], ...] = (
        ("word", b"ms-word", "word/"),
        ("excel", b"ms-excel", "xl/"),
    )
    families += (("powerpoint", b"ms-powerpoint", "ppt/"),)
    for family, marker, _ in families:
        if marker in content_types:
            return family
    for family, _, folder in families:
        if any(name.startswith(folder) for name in names):
            return family
    return "office"


def _check_ooxml(archive: zipfile.ZipFile, names: set[str]) -> FileType:
    """An Office Open XML package: the right main part, and no macros anywhere."""
    info = archive.getinfo("[Content_Types].xml")
    if info.file_size > _MAX_CONTENT_TYPES:
        raise refuse("This Office document is damaged (its content list is too large).")
    content_types = archive.read(info)
    lowered = content_types.lower()
    lower_names = {name.lower() for name in names}
    has_vba = any(name.endswith(("vbaproject.bin", "vbadata.xml")) for name in lower_names)
    if b"macroenabled" in lowered or b"vbaproject" in lowered or has_vba:
        family = _office_family(lowered, lower_names)
        raise refuse(f"{_MACRO_FAMILIES[family]}, or as PDF.")
    mains = []
    for element in _OVERRIDE.findall(content_types):
        attrs = {name.lower(): value for name, value in _ATTR.findall(element)}
        ctype = attrs.get(b"contenttype", b"").decode("ascii", "replace").lower()
        part = attrs.get(b"partname", b"").decode("utf-8", "replace")
        if ctype.endswith(".main+xml"):
            mains.append((ctype, part))
    if len(mains) != 1:
        raise refuse("This Office document is damaged (it has no single main part).")
    ctype, part = mains[0]
    for marker, message in _OOXML_OTHER.items():
        if marker in ctype:
            raise refuse(f"{message}, or as PDF.")
    mime = _OOXML_MAIN.get(ctype)
    if mime is None:
        raise refuse(f"This Office file ({ctype}) is not a type Showcase accepts. {ACCEPTED}")
    ftype = FILE_TYPES[mime]
    if part.lstrip("/") not in names or "_rels/.rels" not in names:
        raise _damaged(ftype, "parts are missing")
    return ftype


_ODF_TYPES = {f"{_ODF}.text", f"{_ODF}.spreadsheet", f"{_ODF}.presentation"}
# Library index files that may exist without any macro in them.
_ODF_SCRIPT_INDEXES = {"script-lc.xml", "script-lb.xml", "dialog-lc.xml", "dialog-lb.xml"}


def _check_odf(archive: zipfile.ZipFile, names: set[str]) -> FileType:
    """An OpenDocument package: a known ``mimetype``, content, and no macro modules."""
    info = archive.getinfo("mimetype")
    mime = archive.read(info).decode("ascii", "replace").strip() if info.file_size < 200 else ""
    if mime not in _ODF_TYPES:
        raise refuse(
            f"This OpenDocument file ({mime or 'unknown'}) is not a type Showcase accepts. "
            f"{ACCEPTED}"
        )
    ftype = FILE_TYPES[mime]
    for name in names:
        top, _, rest = name.partition("/")
        base = rest.rpartition("/")[2]
        if top.lower() in {"basic", "scripts"} and base and base not in _ODF_SCRIPT_INDEXES:
            raise refuse(
                "OpenDocument files with macros are not accepted — remove the macros or save "
                f"it again as {ftype.extension} without them, or as PDF."
            )
    if "content.xml" not in names:
        raise _damaged(ftype, "content.xml is missing")
    return ftype


def _check_zip_package(path: Path, libmagic_mime: str) -> FileType:
    """ZIP-based uploads: Office Open XML and OpenDocument pass, other archives don't."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            if len(infos) > _MAX_ZIP_ENTRIES:
                raise _refuse_as("an archive", libmagic_mime)
            names = {info.filename for info in infos}
            if infos and infos[0].filename == "mimetype":
                return _check_odf(archive, names)
            if "[Content_Types].xml" in names:
                return _check_ooxml(archive, names)
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        zlib.error,
        EOFError,
        OSError,
        ValueError,
        NotImplementedError,
    ) as exc:
        raise refuse(
            "This file looks like an Office document or ZIP archive but can't be opened "
            f"({exc}). Save it again and upload the new copy."
        ) from exc
    if libmagic_mime in _EXECUTABLES:  # Java and Android apps are ZIP files too
        raise _refuse_as("an executable", libmagic_mime)
    raise refuse(
        "This file is an archive (application/zip); upload the files inside it one by one. "
        f"{ACCEPTED}"
    )


_OLE_FAMILIES = {
    "application/msword": "Older Word documents (.doc) are not accepted — open it and save "
    "it as .docx or PDF.",
    "application/vnd.ms-excel": "Older Excel workbooks (.xls) are not accepted — open it and "
    "save it as .xlsx or PDF.",
    "application/vnd.ms-powerpoint": "Older PowerPoint presentations (.ppt) are not accepted "
    "— open it and save it as .pptx or PDF.",
}


def _check_ole(path: Path, libmagic_mime: str) -> FileType:
    """OLE2 compound files: legacy Office, encrypted Office, MSI installers. All refused."""
    if libmagic_mime in _EXECUTABLES:
        raise _refuse_as("an executable", libmagic_mime)
    if _scan(path, re.compile(re.escape("EncryptedPackage".encode("utf-16-le")))):
        raise refuse(
            "Password-protected Office documents are not accepted — remove the password "
            "(or save it as PDF) and upload it again."
        )
    message = _OLE_FAMILIES.get(libmagic_mime)
    if message is None:
        # libmagic names the application only when it finds its stream; fall back on names.
        for marker, mime in (
            ("WordDocument", "application/msword"),
            ("Workbook", "application/vnd.ms-excel"),
            ("PowerPoint Document", "application/vnd.ms-powerpoint"),
        ):
            if _scan(path, re.compile(re.escape(marker.encode("utf-16-le")))):
                message = _OLE_FAMILIES[mime]
                break
    raise refuse(message or f"Older Microsoft Office files are not accepted. {ACCEPTED}")


def _check_text(path: Path, libmagic_mime: str) -> FileType:
    """Plain UTF-8 text that isn't secretly a web page, SVG or script."""
    ftype = FILE_TYPES["text/plain"]
    if libmagic_mime in _WEB or libmagic_mime in _XML or libmagic_mime == "image/svg+xml":
        raise _refuse_as(describe_refused(libmagic_mime), libmagic_mime)
    if describe_refused(libmagic_mime) == "a script":
        raise _refuse_as("a script", libmagic_mime)
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    carry = ""
    first = True
    with path.open("rb") as handle:
        while True:
            chunk = handle.read(_SCAN_CHUNK)
            try:
                text = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError:
                raise refuse(
                    "This text file isn't UTF-8 text. Save it as UTF-8 (or as a PDF or Word "
                    "document) and upload it again."
                ) from None
            start = text.lstrip() if first else ""
            if start:
                if start.startswith("#!") or re.match(r"<[!?a-zA-Z]", start):
                    raise refuse(
                        "This text file is really a web page, XML/SVG or a script; Showcase "
                        "accepts plain text only — save it as a PDF or Word document instead."
                    )
                first = False
            window = carry + text
            if _TEXT_CONTROL.search(window):
                raise refuse("This text file contains binary data; upload the original file.")
            if match := _TEXT_MARKUP.search(window):
                raise refuse(
                    f"This text file contains web page or script code ({match.group(0)}…); "
                    "Showcase accepts plain text only — save it as a PDF or Word document."
                )
            carry = window[-16:]
            if not chunk:
                return ftype


# -- images --------------------------------------------------------------------------------------

_PILLOW_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}


def _check_image(path: Path, mime: str) -> FileType:
    """Open the image with Pillow, verify it, and look for a hidden page or archive."""
    ftype = FILE_TYPES[mime]
    try:
        with Image.open(path) as image:
            if image.format != _PILLOW_FORMATS.get(mime, image.format):
                raise _damaged(ftype, f"Pillow reads it as {image.format}")
            width, height = image.size
            image.verify()
        if mime == "image/jpeg":
            # verify() barely looks at JPEG data; a decode at 1/8 scale reads every byte of
            # it (catching truncated uploads) for a fraction of the memory of a full decode.
            with Image.open(path) as image:
                image.draft("RGB", (max(1, width // 8), max(1, height // 8)))
                image.load()
    except Image.DecompressionBombError as exc:
        raise refuse(f"This image has too many pixels to accept ({exc}).") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise _damaged(ftype, str(exc)) from exc
    _check_image_for_polyglot(path, ftype)
    return ftype


def _check_image_for_polyglot(path: Path, ftype: FileType) -> None:
    # The whole file, not just after the end marker: a JPEG comment segment hides a page
    # just as well as trailing data does.
    if _scan(path, _MARKUP):
        raise _refuse_polyglot(ftype, "web page or script code")
    _check_no_zip(path, ftype)


# -- ISO base media (MP4, MOV, M4A, HEIC) ----------------------------------------------------

_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"mif2"}
_AVIF_BRANDS = {b"avif", b"avis"}
_M4A_BRANDS = {b"M4A ", b"M4B "}
_MAX_BOXES = 200_000


def _boxes(handle: BinaryIO, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """Yield (type, payload start, box end) for the boxes in ``start..end``.

    Raises ValueError when a box claims more bytes than there are: a truncated file.
    """
    position, count = start, 0
    while position + 8 <= end and count < _MAX_BOXES:
        header = _read_at(handle, position, 16)
        if len(header) < 8:
            return
        size, kind = struct.unpack(">I4s", header[:8])
        payload = position + 8
        if size == 1:
            if len(header) < 16:
                return
            size = struct.unpack(">Q", header[8:16])[0]
            payload = position + 16
        elif size == 0:
            size = end - position
        if size < payload - position or position + size > end:
            raise ValueError("it is cut short")
        yield kind, payload, position + size
        position += size
        count += 1


def _track_kinds(handle: BinaryIO, moov_start: int, moov_end: int) -> set[bytes]:
    """The handler types (b"vide", b"soun", …) of the tracks in a ``moov`` box."""
    kinds = set()
    for kind, start, end in _boxes(handle, moov_start, moov_end):
        if kind != b"trak":
            continue
        for sub, sub_start, sub_end in _boxes(handle, start, end):
            if sub != b"mdia":
                continue
            for leaf, leaf_start, _ in _boxes(handle, sub_start, sub_end):
                if leaf == b"hdlr":
                    kinds.add(_read_at(handle, leaf_start + 8, 4))
    return kinds


def _iso_type(brands: list[bytes]) -> FileType:
    """Which accepted type an ftyp brand list names; refuse the ISO family members we don't take."""
    major, all_brands = brands[0], set(brands)
    if major in _HEIF_BRANDS or (all_brands & _HEIF_BRANDS and not all_brands & _AVIF_BRANDS):
        return FILE_TYPES["image/heic"]
    if all_brands & _AVIF_BRANDS:
        raise _refuse_as("an AVIF image, a format Showcase does not accept yet", "image/avif")
    if major.startswith(b"3g"):
        raise _refuse_as("a 3GP recording, a format Showcase does not accept", "video/3gpp")
    if major == b"qt  ":
        return FILE_TYPES["video/quicktime"]
    if major in _M4A_BRANDS:
        return FILE_TYPES["audio/mp4"]
    # Generic brands (isom, mp42, …): phones use them for video and for voice recordings
    # alike, so the tracks decide. The caller fills in audio/mp4 if no video track is found.
    return FILE_TYPES["video/mp4"]


def _top_level_boxes(
    handle: BinaryIO, size: int
) -> tuple[dict[bytes, tuple[int, int]], list[bytes], str]:
    """The (payload start, end) of the first top-level box of each type, the ftyp brands, and
    why the box tree is damaged ("" when it holds together)."""
    found: dict[bytes, tuple[int, int]] = {}
    brands: list[bytes] = []
    try:
        for kind, start, end in _boxes(handle, 0, size):
            if kind == b"ftyp" and not brands:
                data = _read_at(handle, start, min(end - start, 1024))
                brands = [data[:4]] + [data[i : i + 4] for i in range(8, len(data) - 3, 4)]
            found.setdefault(kind, (start, end))
    except ValueError as exc:
        # A box that runs past the end of the file: the upload is truncated.
        return found, brands, str(exc)
    return found, brands, ""


def _check_heic(path: Path, ftype: FileType, found: dict[bytes, tuple[int, int]]) -> FileType:
    """HEIC: the image metadata must be there; decoded if pillow-heif is installed, else scanned."""
    if b"meta" not in found:
        raise _damaged(ftype, "no image metadata")
    if HAVE_PILLOW_HEIF:  # pragma: no cover - depends on the environment
        return _check_image(path, "image/heic")
    if _scan(path, _MARKUP):
        raise _refuse_polyglot(ftype, "web page or script code")
    return ftype


def _movie_type(handle: BinaryIO, ftype: FileType, found: dict[bytes, tuple[int, int]]) -> FileType:
    """MP4/MOV/M4A: the movie header must be there; a generic-brand MP4 without a video track
    is audio (audio/mp4)."""
    moov = found.get(b"moov")
    if moov is None:
        raise _damaged(ftype, "no movie header")
    if ftype.mime != "video/mp4":
        return ftype
    try:
        kinds = _track_kinds(handle, *moov)
    except ValueError as exc:
        raise _damaged(ftype, str(exc)) from exc
    if b"vide" in kinds:
        return ftype
    if b"soun" not in kinds:
        raise _damaged(ftype, "no audio or video track")
    return FILE_TYPES["audio/mp4"]


def _check_iso_media(path: Path, size: int) -> FileType:
    """MP4/MOV/M4A/HEIC: the ftyp brand says which; the box tree must hold together."""
    with path.open("rb") as handle:
        found, brands, damaged = _top_level_boxes(handle, size)
        if not brands:
            raise refuse(f"This media file's type can't be recognised. {ACCEPTED}")
        ftype = _iso_type(brands)
        # Before the damage check: an appended archive also breaks the box tree.
        _check_no_zip(path, ftype)
        if damaged:
            raise _damaged(ftype, damaged)
        if ftype.mime == "image/heic":
            return _check_heic(path, ftype, found)
        ftype = _movie_type(handle, ftype, found)
    _check_no_zip(path, ftype)
    _check_ends_for_markup(path, size, ftype)
    return ftype


# -- other audio and video -----------------------------------------------------------------------


def _read_vint(data: bytes, offset: int, *, keep_marker: bool) -> tuple[int, int]:
    """Read an EBML variable-length integer; return (value, next offset)."""
    first = data[offset]
    length = 1
    while length <= 8 and not first & (0x80 >> (length - 1)):
        length += 1
    if length > 8 or offset + length > len(data):
        raise ValueError("bad EBML number")
    value = first if keep_marker else first & (0xFF >> length)
    for byte in data[offset + 1 : offset + length]:
        value = (value << 8) | byte
    return value, offset + length


def _check_webm(path: Path, head: bytes, size: int) -> FileType:
    """WebM: an EBML header whose DocType is "webm", followed by a Segment."""
    ftype = FILE_TYPES["video/webm"]
    try:
        _, offset = _read_vint(head, 0, keep_marker=True)
        header_size, offset = _read_vint(head, offset, keep_marker=False)
        header_end = offset + header_size
        doctype = b""
        while offset < min(header_end, len(head)):
            element, offset = _read_vint(head, offset, keep_marker=True)
            length, offset = _read_vint(head, offset, keep_marker=False)
            if element == 0x4282:
                doctype = head[offset : offset + length]
            offset += length
        segment, _ = _read_vint(head, header_end, keep_marker=True)
    except (ValueError, IndexError) as exc:
        raise _damaged(ftype, "bad header") from exc
    if doctype == b"matroska":
        raise _refuse_as(
            "a Matroska video (.mkv), a format Showcase does not accept", "video/x-matroska"
        )
    if doctype != b"webm":
        raise _damaged(ftype, f"document type {doctype!r}")
    if segment != 0x18538067:
        raise _damaged(ftype, "no segment")
    _check_no_zip(path, ftype)
    _check_ends_for_markup(path, size, ftype)
    return ftype


_OGG_AUDIO = (b"\x01vorbis", b"OpusHead", b"\x7fFLAC", b"Speex   ")


def _check_ogg(path: Path, head: bytes, size: int) -> FileType:
    """Ogg: a first page starting a Vorbis, Opus, FLAC or Speex stream."""
    ftype = FILE_TYPES["audio/ogg"]
    if len(head) < 28 or head[4] != 0 or not head[5] & 0x02:
        raise _damaged(ftype, "bad first page")
    packet = head[27 + head[26] :]
    if packet.startswith(b"\x80theora"):
        raise _refuse_as("an Ogg video, a format Showcase does not accept", "video/ogg")
    if not packet.startswith(_OGG_AUDIO):
        raise _damaged(ftype, "unknown codec")
    _check_no_zip(path, ftype)
    _check_ends_for_markup(path, size, ftype)
    return ftype


def _check_wav(path: Path, head: bytes, size: int) -> FileType:
    """WAV: a RIFF/WAVE file whose first chunks include a sane ``fmt `` chunk."""
    ftype = FILE_TYPES["audio/wav"]
    offset = 12
    while offset + 8 <= len(head):
        chunk_id, length = struct.unpack("<4sI", head[offset : offset + 8])
        if chunk_id == b"fmt ":
            if length < 16:
                break
            channels, rate = struct.unpack("<HI", head[offset + 10 : offset + 16])
            if not channels or not rate:
                break
            _check_no_zip(path, ftype)
            _check_ends_for_markup(path, size, ftype)
            return ftype
        offset += 8 + length + (length & 1)
    raise _damaged(ftype, "no valid format chunk")


_MP3_BITRATES = {
    3: (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),  # MPEG-1
    2: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),  # MPEG-2
    0: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),  # MPEG-2.5
}
_MP3_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


def _mp3_frame_length(header: bytes) -> int | None:
    """The length of the MPEG audio layer III frame starting with ``header``, else None."""
    if len(header) < 4 or header[0] != 0xFF or header[1] & 0xE0 != 0xE0:
        return None
    version = (header[1] >> 3) & 3
    layer = (header[1] >> 1) & 3
    bitrate_index = header[2] >> 4
    rate_index = (header[2] >> 2) & 3
    if version == 1 or layer != 1 or bitrate_index in (0, 15) or rate_index == 3:
        return None
    bitrate = _MP3_BITRATES[version][bitrate_index] * 1000
    rate = _MP3_RATES[version][rate_index]
    padding = (header[2] >> 1) & 1
    return (144 if version == 3 else 72) * bitrate // rate + padding


def _looks_like_mp3(head: bytes) -> bool:
    return head.startswith(b"ID3") or _mp3_frame_length(head[:4]) is not None


def _check_mp3(path: Path, head: bytes, size: int) -> FileType:
    """MP3: an optional ID3v2 tag, then two consecutive layer III frames (or one, at the end)."""
    ftype = FILE_TYPES["audio/mpeg"]
    offset = 0
    if head.startswith(b"ID3"):
        if len(head) < 10:
            raise _damaged(ftype, "short tag")
        tag_size = 0
        for byte in head[6:10]:
            tag_size = (tag_size << 7) | (byte & 0x7F)
        offset = 10 + tag_size + (10 if head[5] & 0x10 else 0)
    with path.open("rb") as handle:
        # Some encoders leave a little padding between the tag and the first frame.
        window = _read_at(handle, offset, 4096)
        start = window.find(b"\xff")
        while start >= 0 and _mp3_frame_length(window[start : start + 4]) is None:
            start = window.find(b"\xff", start + 1)
        if start < 0:
            raise _damaged(ftype, "no audio frames")
        first = offset + start
        length = _mp3_frame_length(window[start : start + 4]) or 0
        following = _read_at(handle, first + length, 4)
    if following and following[:3] != b"TAG" and _mp3_frame_length(following) is None:
        raise _damaged(ftype, "audio frames don't line up")
    _check_no_zip(path, ftype)
    _check_ends_for_markup(path, size, ftype)
    return ftype


# -- the entry point -------------------------------------------------------------------------


def _check_document_or_image(
    path: Path, head: bytes, size: int, libmagic_mime: str
) -> FileType | None:
    """Check a document or an image by the signature it starts with; None for any other file."""
    if head.startswith(b"%PDF-"):
        return _check_pdf(path, size)
    if head.startswith(b"PK\x03\x04"):
        return _check_zip_package(path, libmagic_mime)
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return _check_ole(path, libmagic_mime)
    if head.startswith(b"\xff\xd8\xff"):
        return _check_image(path, "image/jpeg")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return _check_image(path, "image/png")
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return _check_image(path, "image/webp")
    return None


def _check_audio_or_video(
    path: Path, head: bytes, size: int, libmagic_mime: str
) -> FileType | None:
    """Check a recording (or a HEIC image, an ISO media file too) by its signature; None for
    any other file."""
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return _check_wav(path, head, size)
    if head[4:8] == b"ftyp":
        return _check_iso_media(path, size)
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return _check_webm(path, head, size)
    if head.startswith(b"OggS"):
        return _check_ogg(path, head, size)
    if _looks_like_mp3(head) and (head.startswith(b"ID3") or libmagic_mime == "audio/mpeg"):
        return _check_mp3(path, head, size)
    return None


def sniff(path: Path) -> FileType:
    """Identify a finished upload from its content, or raise UnsupportedFileType."""
    size = path.stat().st_size
    if size == 0:
        raise refuse("The file is empty. Check the file on your device and upload it again.")
    with path.open("rb") as handle:
        head = handle.read(HEAD_SIZE)
    libmagic_mime = magic.from_buffer(head, mime=True)
    if libmagic_mime == "application/octet-stream" and size > len(head):
        # The first bytes weren't enough; let libmagic read further into the file.
        libmagic_mime = magic.from_file(str(path), mime=True)

    # Dispatch on signatures we check ourselves; libmagic decides the rest and names refusals.
    checked = _check_document_or_image(path, head, size, libmagic_mime)
    if checked is None:
        checked = _check_audio_or_video(path, head, size, libmagic_mime)
    if checked is not None:
        return checked
    if libmagic_mime.startswith("text/") or libmagic_mime == "image/svg+xml":
        return _check_text(path, libmagic_mime)
    raise _refuse_as(describe_refused(libmagic_mime), libmagic_mime)
