"""The import contract holds: domains depend one way, cross-cutting modules import no domain.

The contract itself is ``[tool.importlinter]`` in pyproject.toml; import-linter checks it here so
a cycle fails the test command, not only a separate lint step.
"""

from __future__ import annotations

import pathlib
import subprocess
import sys
import tomllib

ROOT = pathlib.Path(__file__).resolve().parents[2]
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]


def _contract(contract_id: str) -> dict:
    return next(c for c in CONFIG["contracts"] if c["id"] == contract_id)


def test_the_import_contract_is_kept() -> None:
    # The venv's own console script, so the test runs the import-linter the project pins.
    lint_imports = pathlib.Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint_imports), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_package_has_a_place_in_the_contract() -> None:
    """A new package must be placed in a layer or named cross-cutting, or it escapes the check."""
    layers = _contract("domain-layers")["layers"]
    placed = {name.strip() for layer in layers for name in layer.replace(":", "|").split("|")}
    placed |= set(_contract("cross-cutting")["source_modules"])
    packages = {
        f"showcase.{path.parent.name}" for path in (ROOT / "showcase").glob("*/__init__.py")
    }
    assert packages <= placed, f"not in the import contract: {sorted(packages - placed)}"
