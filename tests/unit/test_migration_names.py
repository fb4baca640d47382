"""Migration files sort, by name, in the order Alembic applies them (a newcomer reads them so)."""

from __future__ import annotations

import ast
import pathlib

VERSIONS = pathlib.Path(__file__).resolve().parents[2] / "migrations" / "versions"


def _revisions(path: pathlib.Path) -> tuple[str, str | None]:
    values: dict[str, str | None] = {}
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
            if name in ("revision", "down_revision"):
                values[name] = ast.literal_eval(node.value)
    return values["revision"], values["down_revision"]


def test_file_names_sort_in_the_order_migrations_apply() -> None:
    files = sorted(VERSIONS.glob("*.py"))
    chain = {down: (rev, path.name) for path in files for rev, down in [_revisions(path)]}
    applied, current = [], None
    while current in chain or (current is None and None in chain):
        revision, name = chain[current]
        applied.append(name)
        current = revision
    assert applied == [path.name for path in files]
