"""Evidence regions: what people type, the words and URL fragments shown, and the real files'
durations and page counts read through the storage interface (local and S3)."""

from __future__ import annotations

import io
import struct
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:  # tests/unit has no __init__.py (see tests/unit/storage)
    sys.path.insert(0, str(REPO_ROOT))

from showcase.evidence.regions import (  # noqa: E402
    MAX_SECONDS,
    Region,
    RegionError,
    describe,
    media_fragment,
    parse_region,
    read_duration,
    read_page_count,
    to_text,
)
from showcase.storage import LocalStorage  # noqa: E402
from tests.factories import make_wav  # noqa: E402
from tests.unit.storage.conftest import (  # noqa: E402, F401 - fixtures for the S3 case
    make_bucket,
    make_s3_storage,
    s3_client,
    s3_endpoint,
)

SAMPLES = REPO_ROOT / "tests" / "samples"


@pytest.mark.parametrize(
    ("typed", "region"),
    [
        ("1:05-2:30", Region("time", 65, 150)),
        ("1:05–2:30", Region("time", 65, 150)),
        ("1:05 to 2:30", Region("time", 65, 150)),
        ("0:00-0:01", Region("time", 0, 1)),
        ("1:02:03-1:05:00", Region("time", 3723, 3900)),
        ("65-150s", Region("time", 65, 150)),
        ("65s - 150s", Region("time", 65, 150)),
        ("65-150 seconds", Region("time", 65, 150)),
        ("p. 3", Region("pages", 3, 3)),
        ("p3", Region("pages", 3, 3)),
        ("page 3", Region("pages", 3, 3)),
        ("pages 3-5", Region("pages", 3, 5)),
        ("PP. 3 – 5", Region("pages", 3, 5)),
        ("  pages   3 to 5 ", Region("pages", 3, 5)),
    ],
)
def test_parse(typed: str, region: Region) -> None:
    assert parse_region(typed) == region


@pytest.mark.parametrize("typed", ["", "   ", None])
def test_nothing_typed_is_no_region(typed) -> None:
    assert parse_region(typed) is None


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("1:05", "Give the end of the part too, e.g. 1:05-2:05"),
        ("2:30-1:05", "needs a start before its end"),
        ("1:05-1:05", "needs a start before its end"),
        ("1:75-2:00", "minutes and seconds run from 00 to 59"),
        ("p. 0", "numbered from 1"),
        ("pages 5-3", "first page before its last"),
        ("the bit where I smile", "is not a region Showcase can read"),
        ("65-150", "is not a region Showcase can read"),  # seconds or pages? it must say
        ("x" * 61, "too long"),
    ],
)
def test_refusals_say_what_to_write(typed: str, message: str) -> None:
    with pytest.raises(RegionError, match=message):
        parse_region(typed)


@pytest.mark.parametrize(
    ("region", "words", "fragment"),
    [
        (Region("time", 65, 150), "1:05–2:30", "#t=65,150"),
        (Region("time", 3723, 3900), "1:02:03–1:05:00", "#t=3723,3900"),
        (Region("pages", 3, 5), "pages 3–5", "#page=3"),
        (Region("pages", 7, 7), "page 7", "#page=7"),
    ],
)
def test_describe_and_fragment(region: Region, words: str, fragment: str) -> None:
    assert describe(region) == words
    assert media_fragment(region) == fragment


regions = st.one_of(
    st.tuples(st.integers(0, MAX_SECONDS - 1), st.integers(1, MAX_SECONDS))
    .filter(lambda t: t[0] < t[1])
    .map(lambda t: Region("time", *t)),
    st.tuples(st.integers(1, 5000), st.integers(0, 5000)).map(
        lambda t: Region("pages", t[0], t[0] + t[1])
    ),
)


@given(regions)
def test_what_the_form_shows_again_parses_back(region: Region) -> None:
    assert parse_region(to_text(region)) == region


@given(st.text(max_size=80))
def test_any_text_is_a_region_or_a_readable_refusal(typed: str) -> None:
    try:
        parse_region(typed)
    except RegionError as error:
        message = str(error)
    else:
        return
    assert message.endswith(".")


# ----------------------------------------------------------------------------- real files


@pytest.fixture
def local(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "uploads")


def put(storage, name: str, body: bytes | None = None) -> str:
    key = f"evidence/2026/12/{name.replace('.', '-').lower()}"
    storage.save(key, io.BytesIO(body if body is not None else (SAMPLES / name).read_bytes()))
    return key


@pytest.mark.parametrize(
    ("name", "mime", "seconds"),
    [
        ("sample.mp3", "audio/mpeg", 1.04),
        ("sample.m4a", "audio/mp4", 1.02),
        ("sample-android.m4a", "audio/mp4", 1.02),
        ("sample.mp4", "video/mp4", 1.0),
        ("sample.mov", "video/quicktime", 1.0),
        ("sample.ogg", "audio/ogg", 1.0),
        ("sample.wav", "audio/wav", 0.25),
        ("sample.webm", "video/webm", 1.01),
    ],
)
def test_duration_of_every_accepted_recording(local, name: str, mime: str, seconds: float) -> None:
    assert read_duration(local, put(local, name), mime) == pytest.approx(seconds, abs=0.01)


def test_page_count_of_a_real_pdf(local) -> None:
    assert read_page_count(local, put(local, "sample.pdf")) == 1


def test_unreadable_files_have_no_measure(local) -> None:
    jpeg = put(local, "sample.jpg")
    assert read_duration(local, jpeg, "audio/mpeg") is None
    assert read_duration(local, jpeg, "video/webm") is None
    assert read_page_count(local, jpeg) is None
    truncated = put(local, "cut.mp4", (SAMPLES / "sample.mp4").read_bytes()[:200])
    assert read_duration(local, truncated, "video/mp4") is None


def _ebml(element_id: bytes, payload: bytes) -> bytes:
    assert len(payload) < 127
    return element_id + bytes([0x80 | len(payload)]) + payload


def test_webm_without_a_duration_is_not_guessed(local) -> None:
    """Browsers' recorders often write no Duration: the length is unknown, not zero."""
    header = _ebml(b"\x1a\x45\xdf\xa3", _ebml(b"\x42\x82", b"webm"))
    info = _ebml(b"\x15\x49\xa9\x66", _ebml(b"\x2a\xd7\xb1", (1_000_000).to_bytes(3, "big")))
    body = header + _ebml(b"\x18\x53\x80\x67", info)
    assert read_duration(local, put(local, "live.webm", body), "video/webm") is None
    with_duration = _ebml(
        b"\x15\x49\xa9\x66",
        _ebml(b"\x2a\xd7\xb1", (1_000_000).to_bytes(3, "big"))
        + _ebml(b"\x44\x89", struct.pack(">d", 90_500.0)),
    )
    body = header + _ebml(b"\x18\x53\x80\x67", with_duration)
    assert read_duration(local, put(local, "known.webm", body), "video/webm") == 90.5


class CountingStorage:
    """A storage whose ranged reads are counted, to show a large file is not read whole."""

    def __init__(self, inner: LocalStorage) -> None:
        self.inner = inner
        self.read = 0

    def size(self, key: str) -> int:
        return self.inner.size(key)

    def iter_range(self, key: str, start: int, end: int) -> Iterator[bytes]:
        for chunk in self.inner.iter_range(key, start, end):
            self.read += len(chunk)
            yield chunk


def test_a_long_recording_is_measured_without_reading_it_whole(local) -> None:
    size = 40 * 1024 * 1024
    key = put(local, "long.wav", make_wav(size))
    counting = CountingStorage(local)
    assert read_duration(counting, key, "audio/wav") == pytest.approx((size - 44) / 2 / 44100)
    assert counting.read < 256 * 1024


@pytest.mark.parametrize(
    ("name", "mime"), [("sample.m4a", "audio/mp4"), ("sample.webm", "video/webm")]
)
def test_duration_through_s3(make_s3_storage, name: str, mime: str) -> None:  # noqa: F811
    storage = make_s3_storage()
    assert read_duration(storage, put(storage, name), mime) == pytest.approx(1.0, abs=0.03)


def test_pages_through_s3(make_s3_storage) -> None:  # noqa: F811
    storage = make_s3_storage()
    assert read_page_count(storage, put(storage, "sample.pdf")) == 1
