"""ingest(): real sample files are accepted; hostile, broken and oversize uploads leave nothing."""

from __future__ import annotations

import gzip
import hashlib
import io
import random
import struct
import tarfile
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image
from werkzeug.exceptions import ClientDisconnected

from showcase.errors import FileTooLarge, StorageUnavailable, UnsupportedFileType
from showcase.storage import (
    ACCEPTED,
    FILE_TYPES,
    IngestedFile,
    LocalStorage,
    Storage,
    StoredObject,
    display_name,
    format_size,
    ingest,
)
from tests.samples.make_samples import make_docx, make_odf, make_xlsx

from .conftest import MIB, SAMPLES, leftovers

KEY = "evidence/2026/11/5f1e0c3a9b7d4e2f8a6c1b0d9e8f7a6b"
OOXML = "application/vnd.openxmlformats-officedocument"

#: Every sample, the type its content must be identified as, and the extension recorded.
SAMPLE_TYPES = {
    "sample.pdf": ("application/pdf", ".pdf"),
    "sample.docx": (f"{OOXML}.wordprocessingml.document", ".docx"),
    "sample.xlsx": (f"{OOXML}.spreadsheetml.sheet", ".xlsx"),
    "sample.pptx": (f"{OOXML}.presentationml.presentation", ".pptx"),
    "sample.odt": ("application/vnd.oasis.opendocument.text", ".odt"),
    "sample.ods": ("application/vnd.oasis.opendocument.spreadsheet", ".ods"),
    "sample.odp": ("application/vnd.oasis.opendocument.presentation", ".odp"),
    "sample.txt": ("text/plain", ".txt"),
    "sample.jpg": ("image/jpeg", ".jpg"),
    "sample.png": ("image/png", ".png"),
    "sample.heic": ("image/heic", ".heic"),
    "sample.webp": ("image/webp", ".webp"),
    "sample.mp3": ("audio/mpeg", ".mp3"),
    "sample.m4a": ("audio/mp4", ".m4a"),
    "sample-android.m4a": ("audio/mp4", ".m4a"),
    "sample.wav": ("audio/wav", ".wav"),
    "sample.ogg": ("audio/ogg", ".ogg"),
    "sample.mp4": ("video/mp4", ".mp4"),
    "sample.mov": ("video/quicktime", ".mov"),
    "sample.webm": ("video/webm", ".webm"),
}


def _ingest(storage: Storage, data: bytes, filename: str, **kwargs: object) -> IngestedFile:
    kwargs.setdefault("max_bytes", 10 * MIB)
    return ingest(io.BytesIO(data), filename=filename, storage=storage, key=KEY, **kwargs)


def _stored(storage: Storage, key: str = KEY) -> bytes:
    with storage.open(key) as stream:
        return stream.read()


# -- accepted ------------------------------------------------------------------------------------


def test_every_sample_is_listed() -> None:
    on_disk = {path.name for path in SAMPLES.glob("sample*") if path.suffix != ".py"}
    assert on_disk == set(SAMPLE_TYPES)
    assert {mime for mime, _ in SAMPLE_TYPES.values()} == set(FILE_TYPES)
    for path in SAMPLES.glob("sample*"):
        assert path.stat().st_size < 100 * 1024, path.name


@pytest.mark.parametrize("name", sorted(SAMPLE_TYPES))
def test_samples_are_accepted(storage: Storage, name: str) -> None:
    data = (SAMPLES / name).read_bytes()
    mime, extension = SAMPLE_TYPES[name]
    with (SAMPLES / name).open("rb") as upload:
        result = ingest(upload, filename=name, storage=storage, key=KEY, max_bytes=10 * MIB)
    assert result == IngestedFile(
        key=KEY,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        mime_type=mime,
        extension=extension,
        display_name=name,
    )
    assert result.file_type is FILE_TYPES[mime]
    assert _stored(storage) == data
    assert leftovers(storage) == [KEY]


@pytest.mark.parametrize(
    ("filename", "extension", "shown"),
    [
        ("PHOTO.JPG", ".jpg", "PHOTO.JPG"),
        ("holiday.jpeg", ".jpeg", "holiday.jpeg"),
        ("IMG_0001", ".jpg", "IMG_0001.jpg"),  # no extension: the right one is added
        ("", ".jpg", "upload.jpg"),
        ("C:\\fakepath\\site visit.jpg", ".jpg", "site visit.jpg"),
    ],
)
def test_extension_and_display_name(
    local_storage: LocalStorage, filename: str, extension: str, shown: str
) -> None:
    result = _ingest(local_storage, (SAMPLES / "sample.jpg").read_bytes(), filename)
    assert (result.extension, result.display_name) == (extension, shown)


def test_client_content_type_plays_no_part(local_storage: LocalStorage) -> None:
    # ingest() takes no content type at all; a werkzeug FileStorage's stream works directly.
    from werkzeug.datastructures import FileStorage

    upload = FileStorage(
        stream=io.BytesIO((SAMPLES / "sample.png").read_bytes()),
        filename="diagram.png",
        content_type="application/x-msdownload",
    )
    result = ingest(
        upload.stream, filename=upload.filename or "", storage=local_storage, key=KEY,
        max_bytes=MIB,
    )  # fmt: skip
    assert result.mime_type == "image/png"


def test_file_type_table() -> None:
    for ftype in FILE_TYPES.values():
        assert ftype.category in {"document", "image", "audio", "video"}
        # Inline only for PDF, images, audio and video, as the serving code expects.
        assert ftype.inline == (ftype.category != "document" or ftype.mime == "application/pdf")
        assert all(ext.startswith(".") and ext == ext.lower() for ext in ftype.extensions)


# -- hostile and broken uploads ------------------------------------------------------------------


def _zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _package(maker: Callable[..., None], tmp_path: Path, name: str, **kwargs: object) -> bytes:
    path = tmp_path / name
    maker(path, **kwargs)
    return path.read_bytes()


def _sneaky_docx(tmp_path: Path) -> bytes:
    """A .docx whose content types look clean but which carries a VBA project."""
    path = tmp_path / "sneaky.docx"
    make_docx(path)
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("word/vbaProject.bin", b"\xd0\xcf\x11\xe0" + bytes(100))
    return path.read_bytes()


def _image(fmt: str, **save: object) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), (200, 30, 30)).save(buffer, fmt, **save)
    return buffer.getvalue()


def _jpeg_with_comment(comment: bytes) -> bytes:
    jpeg = (SAMPLES / "sample.jpg").read_bytes()
    segment = b"\xff\xfe" + struct.pack(">H", len(comment) + 2) + comment
    return jpeg[:2] + segment + jpeg[2:]


def _tar() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        info = tarfile.TarInfo("notes.txt")
        info.size = 5
        archive.addfile(info, io.BytesIO(b"notes"))
    return buffer.getvalue()


def _with_brand(name: str, brand: bytes) -> bytes:
    data = bytearray((SAMPLES / name).read_bytes())
    data[8:12] = brand
    return bytes(data)


PE = b"MZ" + b"\x90" * 58 + b"\x80\x00\x00\x00" + bytes(64) + b"PE\x00\x00\x4c\x01" + bytes(200)
ELF = b"\x7fELF\x02\x01\x01" + bytes(9) + b"\x02\x00\x3e\x00" + bytes(200)
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
)
MKV = b"\x1a\x45\xdf\xa3\x8b\x42\x82\x88matroska\x18\x53\x80\x67\x81\x00" + bytes(64)

# Each case: (id, builder(tmp_path) -> bytes, filename, expected message fragment).
HOSTILE: list[tuple[str, Callable[[Path], bytes], str, str]] = [
    ("windows-exe", lambda _: PE, "setup.exe", "This file is an executable ("),
    ("exe-named-pdf", lambda _: PE, "statement.pdf", "This file is an executable ("),
    ("elf", lambda _: ELF, "tool", "executable (application/x-executable)"),
    ("shell-script", lambda _: b"#!/bin/sh\nrm -rf ~\n", "notes.txt", "a script"),
    ("php", lambda _: b"<?php system($_GET['c']); ?>", "notes.txt", "a script"),
    ("html", lambda _: HTML, "page.html", "a web page (HTML)"),
    ("html-as-txt", lambda _: HTML, "notes.txt", "a web page (HTML)"),
    ("svg", lambda _: SVG, "logo.svg", "an SVG image"),
    ("xml", lambda _: b'<?xml version="1.0"?><a>b</a>', "data.xml", "an XML file"),
    (
        "docm",
        lambda tmp: _package(make_docx, tmp, "m.docm", macro=True),
        "statement.docm",
        "Word documents with macros (.docm) are not accepted — save it as .docx",
    ),
    (
        "docm-named-docx",
        lambda tmp: _package(make_docx, tmp, "m.docx", macro=True),
        "statement.docx",
        "Word documents with macros (.docm) are not accepted",
    ),
    (
        "xlsm",
        lambda tmp: _package(make_xlsx, tmp, "m.xlsm", macro=True),
        "hours.xlsm",
        "Excel workbooks with macros",
    ),
    ("docx-with-vba", _sneaky_docx, "statement.docx", "Word documents with macros"),
    (
        "odt-with-basic",
        lambda tmp: _package(make_odf, tmp, "m.odt", kind="text", macro=True),
        "account.odt",
        "OpenDocument files with macros are not accepted",
    ),
    (
        "legacy-doc",
        lambda _: OLE + "WordDocument".encode("utf-16-le") + bytes(100),
        "statement.doc",
        "Older Word documents (.doc) are not accepted",
    ),
    (
        "encrypted-office",
        lambda _: OLE + "EncryptedPackage".encode("utf-16-le") + bytes(100),
        "statement.docx",
        "Password-protected Office documents",
    ),
    (
        "jpeg-with-html-after-end",
        lambda _: (SAMPLES / "sample.jpg").read_bytes() + HTML,
        "photo.jpg",
        "also contains web page or script code",
    ),
    (
        "jpeg-with-script-in-comment",
        lambda _: _jpeg_with_comment(b"<script>alert(1)</script>"),
        "photo.jpg",
        "also contains web page or script code",
    ),
    (
        "jpeg-plus-zip",
        lambda _: (SAMPLES / "sample.jpg").read_bytes() + _zip_bytes({"a.exe": PE}),
        "photo.jpg",
        "also contains a hidden ZIP archive",
    ),
    (
        "png-plus-php",
        lambda _: (SAMPLES / "sample.png").read_bytes() + b"<?php system('id'); ?>",
        "photo.png",
        "also contains web page or script code",
    ),
    (
        "pdf-plus-zip",
        lambda _: (SAMPLES / "sample.pdf").read_bytes() + _zip_bytes({"x.exe": PE}),
        "statement.pdf",
        "also contains a hidden ZIP archive",
    ),
    (
        "pdf-plus-html",
        lambda _: (SAMPLES / "sample.pdf").read_bytes() + HTML,
        "statement.pdf",
        "also contains web page or script code",
    ),
    (
        "mp4-plus-zip",
        lambda _: (SAMPLES / "sample.mp4").read_bytes() + _zip_bytes({"a": b"b"}),
        "clip.mp4",
        "also contains a hidden ZIP archive",
    ),
    ("zip", lambda _: _zip_bytes({"notes.txt": b"hi"}), "evidence.zip", "an archive"),
    ("gzip", lambda _: gzip.compress(b"hello" * 100), "evidence.gz", "an archive"),
    ("tar", lambda _: _tar(), "evidence.tar", "an archive"),
    ("7z", lambda _: b"7z\xbc\xaf\x27\x1c" + bytes(50), "evidence.7z", "an archive"),
    ("rar", lambda _: b"Rar!\x1a\x07\x01\x00" + bytes(50), "evidence.rar", "an archive"),
    ("empty", lambda _: b"", "statement.pdf", "The file is empty"),
    (
        "jpeg-named-pdf",
        lambda _: (SAMPLES / "sample.jpg").read_bytes(),
        "statement.pdf",
        "The file is called .pdf but its content is a JPEG image",
    ),
    (
        "pdf-named-docx",
        lambda _: (SAMPLES / "sample.pdf").read_bytes(),
        "statement.docx",
        "The file is called .docx but its content is a PDF document",
    ),
    (
        "mp3-named-exe",
        lambda _: (SAMPLES / "sample.mp3").read_bytes(),
        "song.exe",
        "The file is called .exe but its content is an MP3 audio file",
    ),
    (
        "text-with-script",
        lambda _: b"Week 3 notes\nI added <script src=x></script> to the page\n",
        "notes.txt",
        "a web page (HTML)",  # libmagic calls this HTML already
    ),
    (
        "text-with-php",
        lambda _: b"Week 3 notes: I used <?php echo 1 ?> on the page and it worked.\n",
        "notes.txt",
        "This text file contains web page or script code (<?php",  # libmagic says text/plain
    ),
    ("text-latin1", lambda _: "Café notes\n".encode("latin-1"), "notes.txt", "isn't UTF-8"),
    ("text-binary", lambda _: b"notes\x00\x01\x02 more notes\n", "notes.txt", "a type of file"),
    (
        "truncated-jpeg",
        lambda _: (SAMPLES / "sample.jpg").read_bytes()[:900],
        "photo.jpg",
        "This JPEG image seems damaged or incomplete",
    ),
    (
        "truncated-mp4",
        lambda _: (SAMPLES / "sample.mp4").read_bytes()[:1500],
        "clip.mp4",
        "seems damaged or incomplete",
    ),
    ("gif", lambda _: _image("GIF"), "anim.gif", "an image format Showcase does not accept"),
    ("bmp", lambda _: _image("BMP"), "scan.bmp", "an image format Showcase does not accept"),
    ("avif", lambda _: _image("AVIF"), "photo.avif", "an AVIF image"),
    ("3gp", lambda _: _with_brand("sample.mp4", b"3gp4"), "clip.3gp", "a 3GP recording"),
    ("mkv", lambda _: MKV, "clip.mkv", "a Matroska video"),
    (
        "random",
        lambda _: random.Random(1).randbytes(4096),
        "data.bin",
        "This file is a type of file Showcase does not accept (application/octet-stream)",
    ),
]


@pytest.mark.parametrize(
    ("build", "filename", "message"),
    [pytest.param(build, name, msg, id=case) for case, build, name, msg in HOSTILE],
)
def test_hostile_uploads_are_refused(
    storage: Storage, tmp_path: Path, build: Callable[[Path], bytes], filename: str, message: str
) -> None:
    data = build(tmp_path)
    with pytest.raises(UnsupportedFileType) as caught:
        _ingest(storage, data, filename)
    assert message in caught.value.message
    assert caught.value.status_code == 415
    assert leftovers(storage) == []


def test_refusals_say_what_is_accepted(local_storage: LocalStorage) -> None:
    with pytest.raises(UnsupportedFileType) as caught:
        _ingest(local_storage, PE, "setup.exe")
    assert caught.value.message == (
        f"This file is an executable (application/vnd.microsoft.portable-executable); {ACCEPTED}"
    )


# -- streams that are too big or break -----------------------------------------------------------


class EndlessStream:
    """A generator-backed upload that never ends; counts what was read from it."""

    def __init__(self, head: bytes = b"", fail_after: int | None = None) -> None:
        self.head = head
        self.fail_after = fail_after
        self.bytes_read = 0

    def read(self, size: int = -1) -> bytes:
        size = 64 * 1024 if size < 0 else size
        if self.fail_after is not None and self.bytes_read >= self.fail_after:
            raise ConnectionResetError("client disconnected")
        start = self.bytes_read
        chunk = (self.head[start : start + size] + bytes(size))[:size]
        self.bytes_read += len(chunk)
        return chunk


def test_oversize_upload_stops_at_the_limit(storage: Storage) -> None:
    stream = EndlessStream()
    with pytest.raises(FileTooLarge) as caught:
        ingest(
            stream, filename="film.mp4", storage=storage, key=KEY, max_bytes=3 * MIB,
            chunk_size=256 * 1024,
        )  # fmt: skip
    assert "larger than the 3 MB limit" in caught.value.message
    assert caught.value.status_code == 413
    assert stream.bytes_read <= 3 * MIB + 1  # not a byte more than needed to know
    assert leftovers(storage) == []


def test_upload_of_exactly_the_limit_is_fine(local_storage: LocalStorage) -> None:
    data = (SAMPLES / "sample.png").read_bytes()
    assert _ingest(local_storage, data, "a.png", max_bytes=len(data)).size == len(data)


@pytest.mark.parametrize(
    "error", [ConnectionResetError("peer reset"), ClientDisconnected()], ids=type
)
def test_client_disconnect_leaves_nothing(storage: Storage, error: Exception) -> None:
    class Disconnecting(EndlessStream):
        def read(self, size: int = -1) -> bytes:
            if self.bytes_read >= 2 * MIB:
                raise error
            return super().read(size)

    with pytest.raises(type(error)):
        ingest(Disconnecting(), filename="a.mp4", storage=storage, key=KEY, max_bytes=10 * MIB)
    assert leftovers(storage) == []


class FailingAdopt(LocalStorage):
    """Local storage whose final step fails, as a full disk or a dead bucket would."""

    def adopt(self, key: str, path: Path) -> StoredObject:
        raise StorageUnavailable("File storage is unavailable: disk full.")


def test_storage_failure_leaves_nothing(tmp_path: Path) -> None:
    storage = FailingAdopt(tmp_path / "uploads")
    with pytest.raises(StorageUnavailable):
        _ingest(storage, (SAMPLES / "sample.pdf").read_bytes(), "statement.pdf")
    assert leftovers(storage) == []


def test_s3_failure_leaves_nothing(make_s3_storage: Callable[..., Storage]) -> None:
    storage = make_s3_storage(bucket="showcase-missing-bucket")
    with pytest.raises(StorageUnavailable):
        _ingest(storage, (SAMPLES / "sample.pdf").read_bytes(), "statement.pdf")
    assert list(storage.staging_dir().iterdir()) == []


def test_taken_key_leaves_the_original(local_storage: LocalStorage) -> None:
    _ingest(local_storage, (SAMPLES / "sample.png").read_bytes(), "a.png")
    with pytest.raises(Exception, match="write-once"):
        _ingest(local_storage, (SAMPLES / "sample.jpg").read_bytes(), "b.jpg")
    assert _stored(local_storage) == (SAMPLES / "sample.png").read_bytes()
    assert leftovers(local_storage) == [KEY]


def test_bad_key_is_refused_before_reading(local_storage: LocalStorage) -> None:
    stream = EndlessStream()
    with pytest.raises(ValueError, match="invalid storage key"):
        ingest(stream, filename="a.pdf", storage=local_storage, key="../x", max_bytes=MIB)
    assert stream.bytes_read == 0


# -- memory --------------------------------------------------------------------------------------


def _wav_header(data_size: int) -> bytes:
    fmt = struct.pack("<HHIIHH", 1, 1, 8000, 16000, 2, 16)
    return (
        b"RIFF"
        + struct.pack("<I", 36 + data_size)
        + b"WAVEfmt "
        + struct.pack("<I", 16)
        + fmt
        + b"data"
        + struct.pack("<I", data_size)
    )


class SizedStream(EndlessStream):
    def __init__(self, head: bytes, total: int) -> None:
        super().__init__(head)
        self.total = total

    def read(self, size: int = -1) -> bytes:
        size = min(64 * 1024 if size < 0 else size, self.total - self.bytes_read)
        return super().read(size) if size > 0 else b""


class _TextStream:
    """Plain text lines, generated as they are read."""

    def __init__(self, total: int) -> None:
        self.left = total
        self.line = b"The apprentice checked the circuit and logged the readings.\n"

    def read(self, size: int = -1) -> bytes:
        size = min(64 * 1024 if size < 0 else size, self.left)
        chunk = (self.line * (size // len(self.line) + 1))[:size]
        self.left -= len(chunk)
        return chunk


@pytest.mark.parametrize(
    ("filename", "make_stream"),
    [
        ("recording.wav", lambda: SizedStream(_wav_header(64 * MIB - 44), 64 * MIB)),
        # Plain text is decoded and scanned all the way through, so it is the harder case.
        ("notes.txt", lambda: _TextStream(64 * MIB)),
    ],
)
def test_memory_stays_flat_for_a_64_mib_upload(
    storage: Storage, filename: str, make_stream: Callable[[], object]
) -> None:
    stream = make_stream()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        result = ingest(stream, filename=filename, storage=storage, key=KEY, max_bytes=100 * MIB)  # type: ignore[arg-type]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.size == 64 * MIB
    assert peak < 6 * MIB, f"peak {peak / MIB:.1f} MiB"


# -- small helpers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (0, "0 bytes"),
        (1023, "1023 bytes"),
        (1024, "1 KB"),
        (1536, "1.5 KB"),
        (500 * MIB, "500 MB"),
        (2 * 1024 * MIB, "2 GB"),
    ],
)
def test_format_size(size: int, text: str) -> None:
    assert format_size(size) == text


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("C:\\fakepath\\report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("photo\u202egpj.exe", "photogpj.exe"),  # right-to-left override removed
        ("line\nbreak\x00.txt", "linebreak.txt"),
        ("  spaced    out  .pdf ", "spaced out .pdf"),
        ("...hidden", "hidden"),
        ("e\u0301te\u0301.txt", "\u00e9t\u00e9.txt"),  # NFC
        ("a" * 300 + ".pdf", "a" * 116 + ".pdf"),
    ],
)
def test_display_name(raw: str, clean: str) -> None:
    assert display_name(raw) == clean


@given(st.text())
def test_display_name_is_always_safe(raw: str) -> None:
    name = display_name(raw)
    assert len(name) <= 120
    assert "/" not in name and "\\" not in name
    assert all(ch.isprintable() for ch in name)
    assert not name.startswith((".", " "))
