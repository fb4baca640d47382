"""The sections of a progress review, as data: a default list (``sections/default.yaml``) that a
training provider may replace with its own file.

A provider's file is ``provider-<organisation id>.yaml``, looked for first in the folder named by
the ``REVIEW_SECTIONS_DIR`` setting (``SHOWCASE_REVIEW_SECTIONS_DIR``; outside the code, so a
deployment adds files without a release), then beside ``default.yaml``. A file is validated
whenever it is (re)read, and the message of a ``SectionsFileError`` names the file, the field and
the problem. Files are parsed once per modification time.

What a section *was* is copied onto the review when it is written and when the review freezes
(``ReviewSection`` keeps key, title, writer and the sensitive flag), so a later change of the
file never changes what a signed review says or who may read it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from showcase.errors import ValidationFailed

BUNDLED_DIR = Path(__file__).parent / "sections"
DEFAULT_FILE = "default.yaml"

#: Sections Showcase fills in itself, each with its own renderer on the page.
SYSTEM_KEYS = ("progress", "off_the_job", "targets", "next_review")
#: Who may write a section (``employer`` is the line manager, as in the signatures).
WRITERS = ("apprentice", "employer", "tutor")
WRITER_LABELS = {
    "apprentice": "the apprentice",
    "employer": "the line manager",
    "tutor": "the tutor",
    "system": "Showcase",
}
#: Longest text a person may write in one section.
MAX_TEXT = 20000


class SectionsFileError(ValidationFailed):
    """A review sections file is not valid; the message says where and why."""

    code = "invalid_review_sections"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    title: str = Field(min_length=1, max_length=200)
    writer: Literal["apprentice", "employer", "tutor", "system"]
    sensitive: bool = False
    hint: str = Field(default="", max_length=500)
    required: bool = False

    @field_validator("title", "hint")
    @classmethod
    def _no_nul(cls, value: str) -> str:
        if "\x00" in value:
            raise ValueError("must not contain NUL characters")
        return value.strip()


class _SectionsDoc(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sections: list[_Section] = Field(min_length=1, max_length=30)


@dataclass(frozen=True)
class SectionDef:
    """One section of a review template."""

    key: str
    title: str
    #: ``apprentice``, ``employer``, ``tutor`` or ``system``.
    writer: str
    #: Seen only by the apprentice and the tutor, and never leaves the app.
    sensitive: bool = False
    hint: str = ""
    #: The writer must write it before they sign.
    required: bool = False

    @property
    def is_system(self) -> bool:
        return self.writer == "system"

    @property
    def writer_label(self) -> str:
        return WRITER_LABELS[self.writer]


@dataclass(frozen=True)
class Template:
    """The sections of a review, in page order, and the file they came from."""

    name: str
    sections: tuple[SectionDef, ...]

    def get(self, key: str) -> SectionDef | None:
        return next((s for s in self.sections if s.key == key), None)

    @property
    def written(self) -> tuple[SectionDef, ...]:
        """The sections a person writes."""
        return tuple(s for s in self.sections if not s.is_system)


def _check(doc: _SectionsDoc) -> list[tuple[str, str]]:
    problems = []
    seen: set[str] = set()
    for i, section in enumerate(doc.sections):
        where = f"sections[{i}]"
        if section.key in seen:
            problems.append((f"{where}.key", f"{section.key!r} is used twice"))
        seen.add(section.key)
        if section.writer == "system" and section.key not in SYSTEM_KEYS:
            problems.append(
                (f"{where}.key", f"a system section must be one of {', '.join(SYSTEM_KEYS)}")
            )
        if section.writer != "system" and section.key in SYSTEM_KEYS:
            problems.append((f"{where}.writer", f"{section.key!r} is filled in by the system"))
        if section.writer == "system" and (section.sensitive or section.required):
            problems.append((f"{where}", "a system section cannot be sensitive or required"))
    return problems


def parse(text: str, filename: str) -> Template:
    """Parse and validate a sections file's text (``filename`` names it in messages)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise SectionsFileError(f"{filename}: (file): invalid YAML: {error}") from error
    if not isinstance(data, dict):
        raise SectionsFileError(f"{filename}: (file): the top level must be 'sections: [...]'")
    try:
        doc = _SectionsDoc.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in first["loc"]).replace(
            ".[", "["
        )
        raise SectionsFileError(f"{filename}: {where}: {first['msg']}", field=where) from error
    problems = _check(doc)
    if problems:
        where, problem = problems[0]
        raise SectionsFileError(f"{filename}: {where}: {problem}", field=where)
    return Template(
        name=filename,
        sections=tuple(
            SectionDef(s.key, s.title, s.writer, s.sensitive, s.hint, s.required)
            for s in doc.sections
        ),
    )


@lru_cache(maxsize=64)
def _load(path: str, mtime_ns: int) -> Template:
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise SectionsFileError(f"{file.name}: (file): cannot read it: {error}") from error
    return parse(text, file.name)


def load(path: Path) -> Template:
    """One sections file, validated; parsed again only when the file changes."""
    return _load(str(path), path.stat().st_mtime_ns)


def provider_file(provider_id: int, extra_dir: str | None = None) -> Path | None:
    """The provider's own sections file, if it has one (the settings' folder first)."""
    name = f"provider-{int(provider_id)}.yaml"
    for folder in (Path(extra_dir) if extra_dir else None, BUNDLED_DIR):
        if folder is not None and (folder / name).is_file():
            return folder / name
    return None


def template_for(provider_id: int | None, extra_dir: str | None = None) -> Template:
    """The sections of reviews held by this training provider (the default when it has none)."""
    own = provider_file(provider_id, extra_dir) if provider_id is not None else None
    return load(own or BUNDLED_DIR / DEFAULT_FILE)


def is_valid_key(key: str) -> bool:
    return re.fullmatch(r"[a-z][a-z0-9_]{0,39}", key) is not None
