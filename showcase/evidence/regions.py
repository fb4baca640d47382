"""Evidence regions: a tag that points at part of its file — a time range of a recording or a
page range of a PDF — parsed from what people type, checked against the stored file, and shown.

A region is checked against the file itself, never taken on trust: a recording's duration is
read from its container (mutagen for MP3, MP4/M4A/MOV, WAV and Ogg; a small EBML reader below
for WebM, which mutagen does not read), a PDF's page count with pypdf. When a container does
not state its duration (a WebM from a browser's recorder often does not), the region is refused
with a message that says so, rather than accepted unchecked.

The file is read through the storage interface with a seekable, buffered reader over byte
ranges (``_RangeFile``): the parsers seek to the few boxes they need (MP4's ``moov``, an Ogg
file's last page, a PDF's cross-reference table), so a 2 GB recording costs a few small reads,
locally and on S3 alike — nothing is copied to a temporary file or loaded whole. The figures are
kept on the ``stored_files`` row (``duration_ms``, ``page_count``), filled the first time a
region is checked against a file: blobs are write-once, so a measure never goes stale.
"""

from __future__ import annotations

import io
import math
import re
import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from showcase.storage_ext import get_storage

if TYPE_CHECKING:
    from showcase.evidence.models import Evidence, StoredFile
    from showcase.storage import Storage

RegionKind = Literal["time", "pages"]
#: The longest recording a time can name (99 hours): beyond it a typed number is a slip.
MAX_SECONDS = 99 * 3600
#: The highest page a range can name before the file is even read.
MAX_PAGE = 100_000
#: What the tag form shows under the region field.
HINT = (
    "Optional. For a recording, the part to watch or hear, e.g. 1:05-2:30; for a PDF, the "
    "pages, e.g. p. 3 or pages 3-5."
)


class RegionError(ValueError):
    """A region that cannot be used; the message is shown to the user as it is."""


@dataclass(frozen=True)
class Region:
    """A time range of a recording (in whole seconds) or a page range of a PDF (1-based)."""

    kind: RegionKind
    #: Seconds from the start of the recording, or the first page.
    start: int
    #: The last second (inclusive), or the last page.
    end: int

    def __post_init__(self) -> None:
        if self.kind == "time":
            if not 0 <= self.start < self.end <= MAX_SECONDS:
                raise RegionError(
                    "A time range needs a start before its end, e.g. 1:05-2:30 "
                    f"(not {_clock(self.start)}-{_clock(self.end)})."
                )
        elif self.kind == "pages":
            if not 1 <= self.start <= self.end <= MAX_PAGE:
                raise RegionError(
                    "Pages are numbered from 1 and a range needs its first page before its "
                    f"last, e.g. pages 3-5 (not {self.start}-{self.end})."
                )
        else:
            raise RegionError(f"Unknown kind of region {self.kind!r}: use time or pages.")


_DASH = r"\s*(?:-|–|—|to)\s*"
_CLOCK = r"\d{1,2}(?::\d{1,2}){1,2}"
_CLOCK_RANGE = re.compile(rf"({_CLOCK}){_DASH}({_CLOCK})", re.IGNORECASE)
_SECONDS_RANGE = re.compile(
    rf"(\d{{1,6}})\s*(?:s|sec|secs|seconds)?{_DASH}(\d{{1,6}})\s*(?:s|sec|secs|seconds)",
    re.IGNORECASE,
)
_PAGES = re.compile(
    rf"(?:p|pp|page|pages|pg|pgs)\.?\s*(\d{{1,6}})(?:{_DASH}(\d{{1,6}}))?", re.IGNORECASE
)
_HOW = "Write a time range such as 1:05-2:30 or 65-150s, or pages such as p. 3 or pages 3-5."


def parse_region(text: str) -> Region | None:
    """The region typed in ``text``: "" -> None; "1:05-2:30", "65-150s", "p. 3", "pages 3-5".

    Raises RegionError with a message for the person who typed it.
    """
    cleaned = " ".join((text or "").split())
    if not cleaned:
        return None
    if len(cleaned) > 60:
        raise RegionError(f"That region is too long to be one. {_HOW}")
    if match := _CLOCK_RANGE.fullmatch(cleaned):
        return Region("time", _seconds(match.group(1)), _seconds(match.group(2)))
    if match := _SECONDS_RANGE.fullmatch(cleaned):
        return Region("time", int(match.group(1)), int(match.group(2)))
    if match := _PAGES.fullmatch(cleaned):
        first = int(match.group(1))
        return Region("pages", first, int(match.group(2) or first))
    if re.fullmatch(_CLOCK, cleaned):
        raise RegionError(f"Give the end of the part too, e.g. {cleaned}-{_later(cleaned)}.")
    raise RegionError(f"“{cleaned}” is not a region Showcase can read. {_HOW}")


def _seconds(clock: str) -> int:
    parts = [int(p) for p in clock.split(":")]
    if any(p >= 60 for p in parts[1:]):
        raise RegionError(f"“{clock}” is not a time: minutes and seconds run from 00 to 59.")
    total = 0
    for part in parts:
        total = total * 60 + part
    return total


def _later(clock: str) -> str:
    try:
        return _clock(_seconds(clock) + 60)
    except RegionError:
        return "2:30"


def _clock(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def describe(region: Region) -> str:
    """The region for people: "1:05–2:30", "page 3", "pages 3–5"."""
    if region.kind == "time":
        return f"{_clock(region.start)}–{_clock(region.end)}"
    if region.start == region.end:
        return f"page {region.start}"
    return f"pages {region.start}–{region.end}"


def media_fragment(region: Region) -> str:
    """The URL fragment that opens the file at the region: "#t=65,150", "#page=3"."""
    if region.kind == "time":
        return f"#t={region.start},{region.end}"
    return f"#page={region.start}"


def to_text(region: Region | None) -> str:
    """The region as the form field shows it again ("1:05-2:30", "pages 3-5"); "" for none."""
    if region is None:
        return ""
    if region.kind == "time":
        return f"{_clock(region.start)}-{_clock(region.end)}"
    if region.start == region.end:
        return f"p. {region.start}"
    return f"pages {region.start}-{region.end}"


def region_of(kind: str | None, start: int | None, end: int | None) -> Region | None:
    """A stored region (a tag's three columns) as a Region; None when the tag has none."""
    if kind is None or start is None or end is None:
        return None
    return Region(kind, start, end)  # type: ignore[arg-type]


def as_dict(region: Region | None) -> dict[str, object] | None:
    """A region for JSON (API, manifest): kind, start, end and the words for it."""
    if region is None:
        return None
    return {
        "kind": region.kind,
        "start": region.start,
        "end": region.end,
        "label": describe(region),
    }


def manifest_region(region: Region | None) -> dict[str, object]:
    """A tag's region for a locked showcase's manifest: ``{"region": {...}}``, or nothing at all
    for a tag without one, so such a manifest is byte for byte what it was before regions."""
    return {"region": as_dict(region)} if region is not None else {}


# ----------------------------------------------------------------------------- checking


_TIME_MIMES = {
    "audio/mpeg",
    "audio/mp4",
    "audio/wav",
    "audio/ogg",
    "video/mp4",
    "video/quicktime",
    "video/webm",
}


def check_region(evidence: Evidence, region: Region) -> None:
    """Refuse a region the evidence's stored file does not have (RegionError, for people).

    Measures the file on first use and keeps the figure on its ``stored_files`` row; the caller
    flushes it with the tag.
    """
    stored = evidence.file
    if stored is None:
        raise RegionError(
            "This item has no file, so a tag cannot point at part of it. Leave the region empty."
        )
    if region.kind == "time":
        _check_time(stored, region)
    else:
        _check_pages(stored, region)


def _check_time(stored: StoredFile, region: Region) -> None:
    if stored.mime_type not in _TIME_MIMES:
        raise RegionError(
            "A time range fits only a recording (audio or video); this file is not one. "
            "Leave the region empty, or give pages if it is a PDF."
        )
    duration_ms = recording_duration_ms(stored)
    if duration_ms is None:
        raise RegionError(
            "Showcase cannot read how long this recording is (its file does not say), so it "
            "cannot check a time range against it. Leave the region empty and say in your "
            "reason where to look."
        )
    # Whole seconds: a recording of 2:30.4 still has a second that starts at 2:30.
    last = math.ceil(duration_ms / 1000)
    if region.end > last:
        raise RegionError(
            f"This recording is {_clock(last)} long, so the part {describe(region)} runs past "
            f"its end. Give a range that ends by {_clock(last)}."
        )


def _check_pages(stored: StoredFile, region: Region) -> None:
    if stored.mime_type != "application/pdf":
        raise RegionError(
            "Pages can be checked only in a PDF; this file is not one. Leave the region empty, "
            "or give a time range if it is a recording."
        )
    pages = pdf_page_count(stored)
    if pages is None:
        raise RegionError(
            "Showcase cannot read how many pages this PDF has, so it cannot check a page "
            "range against it. Leave the region empty and say in your reason where to look."
        )
    if region.end > pages:
        has = "1 page" if pages == 1 else f"{pages} pages"
        raise RegionError(
            f"This PDF has {has}, so {describe(region)} is not in it. Give pages from 1 to {pages}."
        )


def recording_duration_ms(stored: StoredFile) -> int | None:
    """A recording's length in milliseconds, from the row or else from the file; None if the
    container does not state it (or cannot be read)."""
    if stored.duration_ms is None:
        seconds = read_duration(get_storage(), stored.key, stored.mime_type)
        if seconds is not None and seconds > 0:
            stored.duration_ms = round(seconds * 1000)
    return stored.duration_ms


def pdf_page_count(stored: StoredFile) -> int | None:
    """A PDF's page count, from the row or else from the file; None if it cannot be read."""
    if stored.page_count is None:
        stored.page_count = read_page_count(get_storage(), stored.key)
    return stored.page_count


# ----------------------------------------------------------------------------- reading files


class _RangeFile(io.RawIOBase):
    """A read-only, seekable file over a stored object, read by byte ranges on demand.

    The parsers (mutagen, pypdf) need ``seek``; S3's stream has none, and copying a large
    recording to disk to learn its length would cost far more than the few ranges they read.
    """

    def __init__(self, storage: Storage, key: str) -> None:
        self._storage = storage
        self._key = key
        self._size = storage.size(key)
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        wanted = min(len(buffer), self._size - self._pos)
        if wanted <= 0:
            return 0
        view = memoryview(buffer).cast("B")
        got = 0
        for chunk in self._storage.iter_range(self._key, self._pos, self._pos + wanted - 1):
            view[got : got + len(chunk)] = chunk
            got += len(chunk)
        self._pos += got
        return got


def _open(storage: Storage, key: str) -> io.BufferedReader:
    return io.BufferedReader(_RangeFile(storage, key), buffer_size=64 * 1024)


def read_duration(storage: Storage, key: str, mime: str) -> float | None:
    # Parsers raise their own errors on damaged files; any of them means "cannot tell".
    from mutagen import MutagenError
    from mutagen.mp3 import MP3
    from mutagen.mp4 import MP4
    from mutagen.oggflac import OggFLAC
    from mutagen.oggopus import OggOpus
    from mutagen.oggspeex import OggSpeex
    from mutagen.oggvorbis import OggVorbis
    from mutagen.wave import WAVE

    with _open(storage, key) as handle:
        try:
            if mime == "video/webm":
                return _webm_duration(handle)
            if mime == "audio/mpeg":
                return MP3(handle).info.length
            if mime in ("audio/mp4", "video/mp4", "video/quicktime"):
                return MP4(handle).info.length
            if mime == "audio/wav":
                return WAVE(handle).info.length
            for kind in (OggVorbis, OggOpus, OggFLAC, OggSpeex):
                handle.seek(0)
                try:
                    return kind(handle).info.length
                except MutagenError:
                    continue
        except (MutagenError, ValueError, struct.error, EOFError):
            return None
    return None


def read_page_count(storage: Storage, key: str) -> int | None:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    with _open(storage, key) as handle:
        try:
            count = len(PdfReader(handle).pages)
        except (PyPdfError, ValueError, KeyError, TypeError, struct.error):
            return None
    return count or None


# A WebM (Matroska) file is a tree of EBML elements. Its duration is Segment > Info > Duration,
# a float in units of Info > TimecodeScale nanoseconds. mutagen reads no Matroska, and the
# libraries that do read whole files or want ffmpeg; this reader walks the Segment's top-level
# elements, skipping each by its size, and stops at the first Cluster (Info precedes the media).
_EBML_HEADER = 0x1A45DFA3
_SEGMENT = 0x18538067
_INFO = 0x1549A966
_TIMECODE_SCALE = 0x2AD7B1
_DURATION = 0x4489
_CLUSTER = 0x1F43B675
_UNKNOWN = -1


def _vint(handle: io.BufferedReader, *, keep_marker: bool) -> int | None:
    first = handle.read(1)
    if not first:
        return None
    byte = first[0]
    length = 8 - byte.bit_length() + 1
    if length > 8:
        raise ValueError("bad EBML length")
    rest = handle.read(length - 1)
    if len(rest) != length - 1:
        raise ValueError("truncated EBML")
    value = byte if keep_marker else byte & ((1 << (8 - length)) - 1)
    for extra in rest:
        value = (value << 8) | extra
    if not keep_marker and value == (1 << (7 * length)) - 1:
        return _UNKNOWN
    return value


def _element(handle: io.BufferedReader) -> tuple[int, int] | None:
    element_id = _vint(handle, keep_marker=True)
    if element_id is None:
        return None
    size = _vint(handle, keep_marker=False)
    if size is None:
        raise ValueError("truncated EBML")
    return element_id, size


def _webm_duration(handle: io.BufferedReader) -> float | None:
    header = _element(handle)
    if header is None or header[0] != _EBML_HEADER or header[1] == _UNKNOWN:
        return None
    handle.seek(header[1], io.SEEK_CUR)
    segment = _element(handle)
    if segment is None or segment[0] != _SEGMENT:
        return None
    while (element := _element(handle)) is not None:
        element_id, size = element
        if element_id == _CLUSTER or size == _UNKNOWN:
            return None
        if element_id == _INFO:
            return _info_duration(handle, size)
        handle.seek(size, io.SEEK_CUR)
    return None


def _info_duration(handle: io.BufferedReader, size: int) -> float | None:
    end = handle.tell() + size
    scale = 1_000_000
    duration: float | None = None
    while handle.tell() < end and (element := _element(handle)) is not None:
        element_id, length = element
        data = handle.read(length)
        if element_id == _TIMECODE_SCALE:
            scale = int.from_bytes(data, "big")
        elif element_id == _DURATION and length in (4, 8):
            duration = struct.unpack(">f" if length == 4 else ">d", data)[0]
    if duration is None or not math.isfinite(duration):
        return None
    return duration * scale / 1e9
