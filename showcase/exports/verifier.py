#!/usr/bin/env python3
"""Check a Showcase export: every file against manifest.json, manifest.json against the fingerprint.

This file is copied into every export as ``verify.py``. It needs Python 3.9 or later and nothing
beyond its standard library, so anyone who receives an export can check it without Showcase.

    python3 verify.py                      # the export this script sits in (an unzipped folder)
    python3 verify.py showcase-export.zip  # or a folder, or the ZIP itself, unextracted
    python3 verify.py --fingerprint HEX    # and compare with the fingerprint shown in Showcase

The fingerprint is the SHA-256 of manifest.json. For a locked showcase it is the one shown on the
showcase's page in Showcase: pass it with ``--fingerprint`` to prove the manifest is the one that
was locked (the copy in export.json travels with the archive, so it only detects accidents).

Exit status: 0 when every check passes, 1 when any fails (each failure names its file), 2 when
the export cannot be read at all.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import posixpath
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

CHUNK = 1024 * 1024
FORMAT = "showcase-export/1"


class Unreadable(Exception):
    """The export is not one this script understands (no manifest, a broken export.json…)."""


class Source(Protocol):
    """Where the export's files are read from: a folder or the ZIP itself."""

    def exists(self, name: str) -> bool: ...

    def chunks(self, name: str) -> Iterator[bytes]: ...


class Folder:
    """An unzipped export."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, name: str) -> Path:
        return self.root.joinpath(*name.split("/"))

    def exists(self, name: str) -> bool:
        return self._path(name).is_file()

    def chunks(self, name: str) -> Iterator[bytes]:
        with self._path(name).open("rb") as stream:
            while chunk := stream.read(CHUNK):
                yield chunk


class Zip:
    """An export still in its ZIP: members are read in chunks, never extracted."""

    def __init__(self, path: Path) -> None:
        self.archive = zipfile.ZipFile(path)
        names = [n for n in self.archive.namelist() if not n.endswith("/")]
        # Exports keep everything in one top-level folder; find it from manifest.json.
        tops = [
            n[: -len("manifest.json")] for n in names if n.rsplit("/", 1)[-1] == "manifest.json"
        ]
        self.prefix = min(tops, key=len) if tops else ""

    def exists(self, name: str) -> bool:
        try:
            self.archive.getinfo(self.prefix + name)
        except KeyError:
            return False
        return True

    def chunks(self, name: str) -> Iterator[bytes]:
        with self.archive.open(self.prefix + name) as stream:
            while chunk := stream.read(CHUNK):
                yield chunk


def safe_name(name: object) -> bool:
    """A relative path inside the export: no absolute paths, no '..', no backslashes."""
    if not isinstance(name, str) or not name or "\\" in name or name.startswith("/"):
        return False
    return ".." not in posixpath.normpath(name).split("/")


def digest(source: Source, name: str) -> tuple[int, str]:
    sha, size = hashlib.sha256(), 0
    for chunk in source.chunks(name):
        sha.update(chunk)
        size += len(chunk)
    return size, sha.hexdigest()


def read_json(source: Source, name: str) -> tuple[bytes, object]:
    if not source.exists(name):
        raise Unreadable(f"{name} is missing: this does not look like a Showcase export.")
    data = b"".join(source.chunks(name))
    try:
        return data, json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise Unreadable(f"{name} is not valid JSON ({error}).") from None


def expected_files(manifest: dict, export: dict) -> Iterator[tuple[Any, Any, Any, str, bool]]:
    """(path, size, sha256, what) for every file the manifest vouches for, then the extras."""
    if "items" in manifest:  # a locked showcase: its manifest names evidence, export.json paths
        paths = export.get("paths", {})
        for entry in manifest["items"]:
            file = entry.get("file")
            if not file:
                continue
            label = f"“{entry.get('title', '')}” ({file.get('filename', '')})"
            path = paths.get(str(entry["evidence_id"]))
            yield path, file["size"], file["sha256"], label, True
    for file in manifest.get("files", []):  # a portfolio export lists its files itself
        yield file["path"], file["size"], file["sha256"], file["path"], True
    for file in export.get("files", []):  # generated files outside a locked manifest
        yield file["path"], file["size"], file["sha256"], f"{file['path']} (export.json)", False


def verify(source: Source, fingerprint: str | None, out: Any = sys.stdout) -> bool:
    """Run every check, print one line per finding; True when all pass."""
    manifest_bytes, manifest = read_json(source, "manifest.json")
    _, export = read_json(source, "export.json")
    if not isinstance(manifest, dict) or not isinstance(export, dict):
        raise Unreadable("manifest.json and export.json must each hold a JSON object.")
    if export.get("format") != FORMAT:
        raise Unreadable(f"export.json is not in the {FORMAT} format this script checks.")
    ok = True
    actual = hashlib.sha256(manifest_bytes).hexdigest()
    wanted = (fingerprint or export.get("fingerprint") or "").strip().lower()
    where = "the fingerprint you gave" if fingerprint else "the fingerprint in export.json"
    if actual == wanted:
        print(f"OK    manifest.json matches {where}: {actual}", file=out)
    else:
        ok = False
        print(f"FAIL  manifest.json: its SHA-256 is {actual}, not {where} ({wanted}).", file=out)
    checked = 0
    for path, size, sha256, label, vouched in expected_files(manifest, export):
        checked += 1
        if not safe_name(path):
            ok = False
            print(f"FAIL  {label}: no safe file name for it in export.json ({path!r}).", file=out)
            continue
        if not source.exists(path):
            ok = False
            print(f"FAIL  {path}: the file is missing ({label}).", file=out)
            continue
        got_size, got_sha = digest(source, path)
        if got_size != size or got_sha != sha256:
            ok = False
            print(
                f"FAIL  {path}: the bytes differ from the "
                f"{'manifest' if vouched else 'list in export.json'} "
                f"(SHA-256 {got_sha}, {got_size} bytes; expected {sha256}, {size} bytes).",
                file=out,
            )
        else:
            print(f"OK    {path}", file=out)
    print(
        f"{'All checks passed' if ok else 'Some checks FAILED'}: {checked} files checked.",
        file=out,
    )
    if ok and not fingerprint:
        print(
            "Compare the fingerprint above with the one shown in Showcase "
            "(or pass it with --fingerprint).",
            file=out,
        )
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "export",
        nargs="?",
        default=str(Path(__file__).resolve().parent),
        help="the unzipped export folder or the .zip (default: the folder holding this script)",
    )
    parser.add_argument("--fingerprint", help="the SHA-256 fingerprint shown in Showcase")
    args = parser.parse_args(argv)
    path = Path(args.export)
    try:
        source: Source
        if path.is_dir():
            source = Folder(path)
        elif zipfile.is_zipfile(path):
            source = Zip(path)
        else:
            raise Unreadable(f"{path} is neither a folder nor a ZIP file.")
        return 0 if verify(source, args.fingerprint) else 1
    except (Unreadable, OSError, zipfile.BadZipFile, KeyError, TypeError) as error:
        print(f"Cannot check {path}: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
