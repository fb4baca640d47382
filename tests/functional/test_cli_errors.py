"""`flask` commands explain failures in one line instead of printing a traceback."""

from __future__ import annotations

import pytest

from showcase import create_app
from showcase.db import get_database
from tests.conftest import database_url, drop_postgres_database


def one_line_error(result) -> str:
    """The command failed cleanly: exit status 1 and a single line, no exception escaping."""
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    return lines[0]


@pytest.mark.parametrize(
    "args",
    [
        ["orgs", "list"],
        ["users", "create", "a@example.test", "--name", "A", "--role", "admin"],
        ["demo", "load"],
        ["audit", "verify"],
    ],
)
def test_commands_on_a_database_without_schema_say_to_upgrade(
    database_kind, tmp_path, args
) -> None:
    url = database_url(database_kind, tmp_path, suffix="_noschema")
    app = create_app("testing", DATABASE_URL=url, UPLOAD_ROOT=str(tmp_path / "uploads"))
    try:
        result = app.test_cli_runner().invoke(args=args)
    finally:
        get_database(app).engine.dispose()
        if database_kind == "postgresql":
            drop_postgres_database(url)
    line = one_line_error(result)
    assert "flask --app wsgi db upgrade" in line


def test_users_create_with_a_role_that_does_not_fit_prints_one_line(app, session) -> None:
    runner = app.test_cli_runner()
    made = runner.invoke(args=["orgs", "create", "Acme", "--kind", "employer"])
    org_id = made.output.split(":")[0].split()[-1]
    result = runner.invoke(
        args=[
            "users",
            "create",
            "t@example.test",
            "--name",
            "T",
            "--role",
            "tutor",
            "--org",
            org_id,
        ]
    )
    line = one_line_error(result)
    assert line.startswith("Error: A tutor (training provider) belongs to a training provider")
