"""Regenerate the sample files in this folder.

``python tests/samples/make_samples.py`` writes the documents, images and WAV with the standard
library and Pillow. ``--media`` also rebuilds the MP3/M4A/OGG/MP4/MOV/WebM/HEIC samples with
ffmpeg and heif-enc (Debian packages ``ffmpeg`` and ``libheif-examples``); those outputs are
committed so the tests never need the tools. Hostile files are generated inside the tests.
"""

from __future__ import annotations

import argparse
import math
import shutil
import struct
import subprocess
import wave
import zipfile
from pathlib import Path

from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent

# A fixed timestamp keeps the ZIP-based samples byte-for-byte reproducible.
ZIP_DATE = (2026, 1, 1, 0, 0, 0)


def _zip(path: Path, members: list[tuple[str, str | bytes]], *, stored_first: bool = False) -> None:
    """Write a ZIP package with fixed timestamps; ODF wants its first member stored."""
    with zipfile.ZipFile(path, "w") as zf:
        for index, (name, data) in enumerate(members):
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            stored = stored_first and index == 0
            info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
            zf.writestr(info, data)


# --- PDF ------------------------------------------------------------------------------------


def make_pdf(path: Path) -> None:
    """A one-page PDF 1.4 with a correct cross-reference table (the demo's own generator)."""
    from showcase.demo_files import pdf

    path.write_bytes(pdf(["Witness statement - sample"]))


# --- Office Open XML ------------------------------------------------------------------------

CT_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
)
OOXML = "application/vnd.openxmlformats-officedocument"
REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
DOC_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
MAIN_NS_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
MAIN_NS_S = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
MAIN_NS_P = "http://schemas.openxmlformats.org/presentationml/2006/main"
MAIN_NS_A = "http://schemas.openxmlformats.org/drawingml/2006/main"


def _types(overrides: dict[str, str]) -> str:
    parts = "".join(
        f'<Override PartName="{name}" ContentType="{ctype}"/>' for name, ctype in overrides.items()
    )
    return CT_HEAD + parts + "</Types>"


def _rels(relationships: list[tuple[str, str, str]]) -> str:
    body = "".join(
        f'<Relationship Id="{rid}" Type="{DOC_REL}/{kind}" Target="{target}"/>'
        for rid, kind, target in relationships
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<Relationships xmlns="{REL_NS}">{body}</Relationships>'
    )


def make_docx(path: Path, *, macro: bool = False) -> None:
    """A one-paragraph Word document (or, for tests, its macro-enabled twin)."""
    main = (
        "application/vnd.ms-word.document.macroEnabled.main+xml"
        if macro
        else f"{OOXML}.wordprocessingml.document.main+xml"
    )
    document = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<w:document xmlns:w="{MAIN_NS_W}"><w:body>'
        "<w:p><w:r><w:t>Witness statement: the apprentice rewired the panel safely.</w:t>"
        "</w:r></w:p>"
        "</w:body></w:document>"
    )
    members: list[tuple[str, str | bytes]] = [
        ("[Content_Types].xml", _types({"/word/document.xml": main})),
        ("_rels/.rels", _rels([("rId1", "officeDocument", "word/document.xml")])),
        ("word/document.xml", document),
    ]
    if macro:
        members.append(("word/vbaProject.bin", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)))
    _zip(path, members)


def make_xlsx(path: Path, *, macro: bool = False) -> None:
    """A one-sheet workbook with two cells (or its macro-enabled twin)."""
    main = (
        "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
        if macro
        else f"{OOXML}.spreadsheetml.sheet.main+xml"
    )
    workbook = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<workbook xmlns="{MAIN_NS_S}" xmlns:r="{DOC_REL}">'
        '<sheets><sheet name="Hours" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )
    sheet = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<worksheet xmlns="{MAIN_NS_S}"><sheetData>'
        '<row r="1"><c r="A1" t="inlineStr"><is><t>Week</t></is></c>'
        '<c r="B1" t="inlineStr"><is><t>Hours</t></is></c></row>'
        '<row r="2"><c r="A2"><v>1</v></c><c r="B2"><v>37.5</v></c></row>'
        "</sheetData></worksheet>"
    )
    members: list[tuple[str, str | bytes]] = [
        (
            "[Content_Types].xml",
            _types(
                {
                    "/xl/workbook.xml": main,
                    "/xl/worksheets/sheet1.xml": f"{OOXML}.spreadsheetml.worksheet+xml",
                }
            ),
        ),
        ("_rels/.rels", _rels([("rId1", "officeDocument", "xl/workbook.xml")])),
        ("xl/workbook.xml", workbook),
        ("xl/_rels/workbook.xml.rels", _rels([("rId1", "worksheet", "worksheets/sheet1.xml")])),
        ("xl/worksheets/sheet1.xml", sheet),
    ]
    if macro:
        members.append(("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)))
    _zip(path, members)


def make_pptx(path: Path) -> None:
    """A one-slide presentation with the master, layout and theme PowerPoint requires."""
    pml = f"{OOXML}.presentationml"
    header = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    ns = f'xmlns:a="{MAIN_NS_A}" xmlns:r="{DOC_REL}" xmlns:p="{MAIN_NS_P}"'
    empty_tree = (
        '<p:cSld><p:spTree><p:nvGrpSpPr><p:cNvPr id="1" name=""/><p:cNvGrpSpPr/><p:nvPr/>'
        "</p:nvGrpSpPr><p:grpSpPr/></p:spTree></p:cSld>"
    )
    title_tree = (
        '<p:cSld><p:spTree><p:nvGrpSpPr><p:cNvPr id="1" name=""/><p:cNvGrpSpPr/><p:nvPr/>'
        '</p:nvGrpSpPr><p:grpSpPr/><p:sp><p:nvSpPr><p:cNvPr id="2" name="Title"/><p:cNvSpPr/>'
        '<p:nvPr/></p:nvSpPr><p:spPr><a:xfrm><a:off x="457200" y="457200"/>'
        '<a:ext cx="8229600" cy="1143000"/></a:xfrm></p:spPr><p:txBody><a:bodyPr/><a:p><a:r>'
        "<a:t>Project showcase</a:t></a:r></a:p></p:txBody></p:sp></p:spTree></p:cSld>"
    )
    color_map = (
        '<p:clrMap bg1="lt1" tx1="dk1" bg2="lt2" tx2="dk2" accent1="accent1" accent2="accent2" '
        'accent3="accent3" accent4="accent4" accent5="accent5" accent6="accent6" hlink="hlink" '
        'folHlink="folHlink"/>'
    )
    colors = "".join(
        f'<a:{name}><a:srgbClr val="{value}"/></a:{name}>'
        for name, value in [
            ("dk1", "000000"),
            ("lt1", "FFFFFF"),
            ("dk2", "1F497D"),
            ("lt2", "EEECE1"),
            ("accent1", "4F81BD"),
            ("accent2", "C0504D"),
            ("accent3", "9BBB59"),
            ("accent4", "8064A2"),
            ("accent5", "4BACC6"),
            ("accent6", "F79646"),
            ("hlink", "0000FF"),
            ("folHlink", "800080"),
        ]
    )
    fill = '<a:solidFill><a:schemeClr val="phClr"/></a:solidFill>'
    line = '<a:ln><a:solidFill><a:schemeClr val="phClr"/></a:solidFill></a:ln>'
    theme = (
        f'{header}<a:theme xmlns:a="{MAIN_NS_A}" name="Plain"><a:themeElements>'
        f'<a:clrScheme name="Plain">{colors}</a:clrScheme>'
        '<a:fontScheme name="Plain"><a:majorFont><a:latin typeface="Calibri"/><a:ea typeface=""/>'
        '<a:cs typeface=""/></a:majorFont><a:minorFont><a:latin typeface="Calibri"/>'
        '<a:ea typeface=""/><a:cs typeface=""/></a:minorFont></a:fontScheme>'
        f'<a:fmtScheme name="Plain"><a:fillStyleLst>{fill * 3}</a:fillStyleLst>'
        f"<a:lnStyleLst>{line * 3}</a:lnStyleLst>"
        "<a:effectStyleLst>"
        + "<a:effectStyle><a:effectLst/></a:effectStyle>"
        * 3
        + f"</a:effectStyleLst><a:bgFillStyleLst>{fill * 3}</a:bgFillStyleLst>"
        "</a:fmtScheme></a:themeElements></a:theme>"
    )
    presentation = (
        f"{header}<p:presentation {ns}>"
        '<p:sldMasterIdLst><p:sldMasterId id="2147483648" r:id="rId1"/></p:sldMasterIdLst>'
        '<p:sldIdLst><p:sldId id="256" r:id="rId2"/></p:sldIdLst>'
        '<p:sldSz cx="9144000" cy="6858000"/><p:notesSz cx="6858000" cy="9144000"/>'
        "</p:presentation>"
    )
    master = (
        f"{header}<p:sldMaster {ns}>{empty_tree}{color_map}"
        '<p:sldLayoutIdLst><p:sldLayoutId id="2147483649" r:id="rId1"/></p:sldLayoutIdLst>'
        "</p:sldMaster>"
    )
    layout = f'{header}<p:sldLayout {ns} type="blank">{empty_tree}</p:sldLayout>'
    slide = f"{header}<p:sld {ns}>{title_tree}</p:sld>"
    _zip(
        path,
        [
            (
                "[Content_Types].xml",
                _types(
                    {
                        "/ppt/presentation.xml": f"{pml}.presentation.main+xml",
                        "/ppt/slideMasters/slideMaster1.xml": f"{pml}.slideMaster+xml",
                        "/ppt/slideLayouts/slideLayout1.xml": f"{pml}.slideLayout+xml",
                        "/ppt/slides/slide1.xml": f"{pml}.slide+xml",
                        "/ppt/theme/theme1.xml": f"{OOXML}.theme+xml",
                    }
                ),
            ),
            ("_rels/.rels", _rels([("rId1", "officeDocument", "ppt/presentation.xml")])),
            ("ppt/presentation.xml", presentation),
            (
                "ppt/_rels/presentation.xml.rels",
                _rels(
                    [
                        ("rId1", "slideMaster", "slideMasters/slideMaster1.xml"),
                        ("rId2", "slide", "slides/slide1.xml"),
                        ("rId3", "theme", "theme/theme1.xml"),
                    ]
                ),
            ),
            ("ppt/slideMasters/slideMaster1.xml", master),
            (
                "ppt/slideMasters/_rels/slideMaster1.xml.rels",
                _rels(
                    [
                        ("rId1", "slideLayout", "../slideLayouts/slideLayout1.xml"),
                        ("rId2", "theme", "../theme/theme1.xml"),
                    ]
                ),
            ),
            ("ppt/slideLayouts/slideLayout1.xml", layout),
            (
                "ppt/slideLayouts/_rels/slideLayout1.xml.rels",
                _rels([("rId1", "slideMaster", "../slideMasters/slideMaster1.xml")]),
            ),
            ("ppt/slides/slide1.xml", slide),
            (
                "ppt/slides/_rels/slide1.xml.rels",
                _rels([("rId1", "slideLayout", "../slideLayouts/slideLayout1.xml")]),
            ),
            ("ppt/theme/theme1.xml", theme),
        ],
    )


# --- OpenDocument ---------------------------------------------------------------------------

ODF_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" '
    'xmlns:presentation="urn:oasis:names:tc:opendocument:xmlns:presentation:1.0" '
    'office:version="1.3"'
)
ODF_BODIES = {
    "text": "<office:text><text:p>Reflective account: first week on site.</text:p></office:text>",
    "spreadsheet": (
        '<office:spreadsheet><table:table table:name="Hours"><table:table-row>'
        "<table:table-cell><text:p>Week 1</text:p></table:table-cell>"
        '<table:table-cell office:value-type="float" office:value="37.5">'
        "<text:p>37.5</text:p></table:table-cell>"
        "</table:table-row></table:table></office:spreadsheet>"
    ),
    "presentation": (
        '<office:presentation><draw:page draw:name="Slide 1">'
        '<draw:frame svg:width="20cm" svg:height="3cm" svg:x="2cm" svg:y="2cm" '
        'xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0">'
        "<draw:text-box><text:p>Project showcase</text:p></draw:text-box></draw:frame>"
        "</draw:page></office:presentation>"
    ),
}


def make_odf(path: Path, kind: str, *, macro: bool = False) -> None:
    """An OpenDocument package: stored ``mimetype`` first, then content and manifest."""
    mimetype = f"application/vnd.oasis.opendocument.{kind}"
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<office:document-content {ODF_NS}><office:body>{ODF_BODIES[kind]}"
        "</office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
        'manifest:version="1.3">'
        f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{mimetype}"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    members: list[tuple[str, str | bytes]] = [
        ("mimetype", mimetype),
        ("content.xml", content),
        ("META-INF/manifest.xml", manifest),
    ]
    if macro:
        members.append(("Basic/Standard/Module1.xml", "<script:module/>"))
    _zip(path, members, stored_first=True)


# --- Images and sound -----------------------------------------------------------------------


def sample_image() -> Image.Image:
    """A small picture with a gradient and shapes, so encoders have something to encode."""
    image = Image.new("RGB", (96, 64))
    pixels = image.load()
    for x in range(96):
        for y in range(64):
            pixels[x, y] = (x * 2, y * 3, 160)
    draw = ImageDraw.Draw(image)
    draw.ellipse((20, 10, 60, 50), fill=(250, 200, 40))
    draw.rectangle((66, 30, 90, 58), outline=(255, 255, 255), width=2)
    return image


def make_wav(path: Path) -> None:
    """A quarter-second 440 Hz tone, 8 kHz mono 16-bit PCM."""
    rate = 8000
    frames = b"".join(
        struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * n / rate)))
        for n in range(rate // 4)
    )
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(frames)


def make_python_samples(folder: Path) -> None:
    """Write every sample that needs only Python and Pillow."""
    make_pdf(folder / "sample.pdf")
    make_docx(folder / "sample.docx")
    make_xlsx(folder / "sample.xlsx")
    make_pptx(folder / "sample.pptx")
    make_odf(folder / "sample.odt", "text")
    make_odf(folder / "sample.ods", "spreadsheet")
    make_odf(folder / "sample.odp", "presentation")
    (folder / "sample.txt").write_text(
        "Witness statement\n\nJoséphine observed the apprentice test the circuit — all good ✓\n",
        encoding="utf-8",
    )
    image = sample_image()
    image.save(folder / "sample.jpg", "JPEG", quality=85)
    image.save(folder / "sample.png", "PNG")
    image.save(folder / "sample.webp", "WEBP", quality=80)
    make_wav(folder / "sample.wav")


# Each media sample: output name and the ffmpeg arguments that make it from generated input.
TONE = ["-f", "lavfi", "-i", "sine=frequency=440:duration=1"]
PICTURE = ["-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:duration=1"]
FFMPEG_SAMPLES: dict[str, list[str]] = {
    "sample.mp3": [*TONE, "-c:a", "libmp3lame", "-b:a", "32k"],
    "sample.m4a": [*TONE, "-c:a", "aac", "-b:a", "32k"],
    # An audio-only MP4 with a generic brand, as Android voice recorders write it.
    "sample-android.m4a": [*TONE, "-c:a", "aac", "-b:a", "32k", "-f", "mp4", "-brand", "mp42"],
    "sample.ogg": [*TONE, "-c:a", "libvorbis", "-q:a", "0"],
    "sample.mp4": [*PICTURE, "-c:v", "libx264", "-pix_fmt", "yuv420p", "-crf", "35"],
    "sample.mov": [*PICTURE, "-c:v", "libx264", "-pix_fmt", "yuv420p", "-crf", "35"],
    "sample.webm": [*PICTURE, *TONE, "-c:v", "libvpx", "-b:v", "50k", "-c:a", "libopus"],
}


def make_media_samples(folder: Path) -> None:
    """Rebuild the media samples with ffmpeg and heif-enc (only needed to change them)."""
    for tool in ("ffmpeg", "heif-enc"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is not installed (apt-get install ffmpeg libheif-examples)")
    for name, args in FFMPEG_SAMPLES.items():
        command = ["ffmpeg", "-y", "-loglevel", "error", *args, "-map_metadata", "-1"]
        subprocess.run([*command, "-fflags", "+bitexact", str(folder / name)], check=True)
    source = folder / "sample.png"
    subprocess.run(
        ["heif-enc", "--quality", "40", "-o", str(folder / "sample.heic"), str(source)],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def main() -> None:
    """Parse arguments and write the samples next to this script."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--media", action="store_true", help="also rebuild media with ffmpeg")
    parser.add_argument("--out", type=Path, default=HERE, help="folder to write to")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    make_python_samples(args.out)
    if args.media:
        make_media_samples(args.out)


if __name__ == "__main__":
    main()
