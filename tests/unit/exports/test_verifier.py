"""The standalone verifier shipped in every export, run as a script the way a recipient would."""

from __future__ import annotations

import ast
import hashlib
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from showcase.exports.services import FORMAT, VERIFIER_SOURCE

FILES = {"evidence/01 Call.mp3": b"ID3" + bytes(range(256)) * 50, "evidence/02 Note.pdf": b"%PDF-"}


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def build(folder: Path, *, paths: dict[str, str] | None = None) -> str:
    """A showcase-shaped export: a locked-style manifest, export.json mapping items to files."""
    items = [
        {
            "evidence_id": n,
            "title": name,
            "file": {"filename": name, "size": len(data), "sha256": sha(data)},
        }
        for n, (name, data) in enumerate(FILES.items(), start=1)
    ]
    manifest = json.dumps({"items": items}, sort_keys=True, separators=(",", ":")).encode()
    fingerprint = sha(manifest)
    export = {
        "format": FORMAT,
        "kind": "submission",
        "fingerprint": fingerprint,
        "paths": paths or {str(n): name for n, name in enumerate(FILES, start=1)},
        "files": [],
    }
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_bytes(manifest)
    (folder / "export.json").write_text(json.dumps(export))
    shutil.copy(VERIFIER_SOURCE, folder / "verify.py")
    for name, data in FILES.items():
        (folder / name).parent.mkdir(exist_ok=True)
        (folder / name).write_bytes(data)
    return fingerprint


def run(*args: str | Path) -> subprocess.CompletedProcess:
    # -I -S: no site-packages and no environment, as on a machine with only Python on it.
    return subprocess.run(
        [sys.executable, "-I", "-S", *map(str, args)], capture_output=True, text=True, timeout=30
    )


def zipped(folder: Path) -> Path:
    target = folder.parent / "export.zip"
    with zipfile.ZipFile(target, "w") as archive:
        for path in folder.rglob("*"):
            archive.write(path, f"top/{path.relative_to(folder).as_posix()}")
    return target


def test_a_good_export_passes_as_a_folder_and_as_a_zip(tmp_path) -> None:
    folder = tmp_path / "export"
    fingerprint = build(folder)
    result = run(folder / "verify.py", "--fingerprint", fingerprint)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All checks passed: 2 files checked." in result.stdout
    result = run(folder / "verify.py", zipped(folder), "--fingerprint", fingerprint)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_changed_byte_fails_naming_the_file_in_a_folder_and_a_zip(tmp_path) -> None:
    folder = tmp_path / "export"
    build(folder)
    target = folder / "evidence" / "02 Note.pdf"
    target.write_bytes(b"%PDF+")
    for where in (folder, zipped(folder)):
        result = run(folder / "verify.py", where)
        assert result.returncode == 1
        (failure,) = [line for line in result.stdout.splitlines() if line.startswith("FAIL")]
        assert "evidence/02 Note.pdf" in failure and "differ" in failure


def test_a_missing_file_and_a_wrong_fingerprint_fail(tmp_path) -> None:
    folder = tmp_path / "export"
    build(folder)
    (folder / "evidence" / "01 Call.mp3").unlink()
    result = run(folder / "verify.py", "--fingerprint", "ab" * 32)
    assert result.returncode == 1
    assert "FAIL  manifest.json" in result.stdout
    assert "FAIL  evidence/01 Call.mp3: the file is missing" in result.stdout


def test_a_path_leaving_the_export_is_refused(tmp_path) -> None:
    (tmp_path / "secret").write_bytes(FILES["evidence/01 Call.mp3"])
    folder = tmp_path / "export"
    build(folder, paths={"1": "../secret", "2": "evidence/02 Note.pdf"})
    result = run(folder / "verify.py")
    assert result.returncode == 1
    assert "no safe file name" in result.stdout


def test_something_else_is_unreadable_not_a_pass(tmp_path) -> None:
    (tmp_path / "verify.py").write_bytes(VERIFIER_SOURCE.read_bytes())
    result = run(tmp_path / "verify.py")
    assert result.returncode == 2 and "manifest.json is missing" in result.stderr


def test_the_verifier_imports_only_the_standard_library() -> None:
    tree = ast.parse(VERIFIER_SOURCE.read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            imported.add(node.module.split(".")[0])
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}, imported
