"""Small, real files for the demo portfolio, made in memory (no assets to ship)."""

from __future__ import annotations

import io
import math
import struct
import wave


def pdf(lines: list[str]) -> bytes:
    """A one-page PDF with ``lines`` of Helvetica text and a correct cross-reference table."""

    def escape(text: str) -> bytes:
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)").encode("latin-1")

    body = (
        b"BT /F1 12 Tf 50 780 Td 16 TL "
        + b" ".join(b"(" + escape(line) + b") '" for line in lines)
        + b" ET"
    )
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(body), body),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, obj))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\n" % (len(objects) + 1))
    out.write(b"startxref\n%d\n%%%%EOF\n" % xref)
    return out.getvalue()


def wav(seconds: float = 4.0) -> bytes:
    """A gentle two-tone recording, long enough to seek in (8 kHz mono 16-bit PCM)."""
    rate = 8000
    frames = b"".join(
        struct.pack(
            "<h",
            int(6000 * math.sin(2 * math.pi * (440 if (n // rate) % 2 == 0 else 554) * n / rate)),
        )
        for n in range(int(rate * seconds))
    )
    out = io.BytesIO()
    with wave.open(out, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes(frames)
    return out.getvalue()


def png(label: str) -> bytes:
    """A simple picture with a caption, standing in for a phone photo."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (480, 320), (29, 79, 145))
    draw = ImageDraw.Draw(image)
    draw.rectangle((20, 20, 460, 300), outline=(255, 255, 255), width=4)
    draw.text((40, 150), label, fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
