"""Reading standard data files: YAML in, a validated ``StandardDoc`` out.

Every failure is a ``StandardFileError`` whose message names the file, the field path and the
problem, e.g. ``st0072.yaml: methods[1].weight_percent: weights sum to 90%, they must sum to
100%`` — written for the person fixing the file, who has only the file in front of them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from showcase.errors import ValidationFailed
from showcase.standards.schema import StandardDataError, StandardDoc

DATA_DIR = Path(__file__).parent / "data"

#: Top-level keys starting with this are ignored: a place for YAML anchors shared by entries
#: (the docker-compose "extension field" convention).
EXTENSION_PREFIX = "x-"


class StandardFileError(ValidationFailed):
    """A standard data file is not valid; the message says where and why."""

    code = "invalid_standard_file"

    def __init__(
        self,
        filename: str,
        field: str,
        problem: str,
        *,
        problems: Iterable[tuple[str, str]] = (),
    ) -> None:
        super().__init__(f"{filename}: {field}: {problem}", field=field)
        self.filename = filename
        self.problem = problem
        #: Every problem found, as (field path, problem); the message shows the first.
        self.problems: tuple[tuple[str, str], ...] = tuple(problems) or ((field, problem),)


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate mapping keys (PyYAML silently keeps the last one)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _value in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # "<<: *anchor" merges may override, by design
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    f"found duplicate key {key!r}",
                    key_node.start_mark,
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def load_text(text: str, filename: str) -> StandardDoc:
    """Parse and validate a standard file's text; ``filename`` is used in error messages."""
    try:
        data = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(file)"
        detail = " ".join(p for p in (error.context, error.problem) if p)
        raise StandardFileError(filename, where, f"invalid YAML: {detail}") from error
    except yaml.YAMLError as error:
        raise StandardFileError(filename, "(file)", f"invalid YAML: {error}") from error
    if data is None:
        raise StandardFileError(filename, "(file)", "the file is empty")
    if not isinstance(data, dict):
        raise StandardFileError(filename, "(file)", "the top level must be a mapping of fields")
    data = {
        k: v for k, v in data.items() if not (isinstance(k, str) and k.startswith(EXTENSION_PREFIX))
    }
    try:
        doc = StandardDoc.model_validate(data)
    except ValidationError as error:
        problems = [(_path(e["loc"]), _problem(e)) for e in error.errors()]
        raise StandardFileError(filename, *problems[0], problems=problems) from error
    except StandardDataError as error:
        raise StandardFileError(
            filename, error.field, error.problem, problems=error.problems
        ) from error
    # An organisation's criteria come only from a supplement, never from the plan's own file.
    if doc.supplement is not None:
        raise StandardFileError(filename, "supplement", "a plan's file cannot name a supplement")
    marked = [c.ref for c in doc.criteria() if c.supplement is not None]
    if marked:
        raise StandardFileError(
            filename,
            "supplement",
            f"{marked[0]}: a plan's own criteria cannot be marked as a supplement's",
        )
    return doc


def load_file(path: str | Path) -> StandardDoc:
    """Read, parse and validate one standard file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise StandardFileError(path.name, "(file)", f"cannot read it: {error}") from error
    return load_text(text, path.name)


def bundled_files() -> list[Path]:
    """The standard files shipped with Showcase, sorted by name."""
    return sorted(DATA_DIR.glob("*.yaml"))


@lru_cache(maxsize=1)
def bundled_docs() -> dict[str, StandardDoc]:
    """Every bundled standard, parsed once, by key (``ST0072/AP02``)."""
    docs = [load_file(path) for path in bundled_files()]
    return {doc.key: doc for doc in docs}


def _path(loc: Sequence[int | str]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(file)"


def _problem(error: Any) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return "unknown field (check its spelling and indentation)"
    if kind == "missing":
        return "missing required field"
    given = error.get("input")
    if kind == "string_type" and isinstance(given, int | float) and not isinstance(given, bool):
        # YAML reads 1.1 and 2 as numbers; numbers like "1.10" must stay text.
        return f"must be text, got the number {given!r}; put it in quotes"
    shown = repr(given)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    return f"{error['msg']} (got {shown})"
