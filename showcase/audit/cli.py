"""`flask audit verify`."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from showcase.audit.services import verify_chain

audit_cli = AppGroup("audit", help="The hash-chained audit trail.")


@audit_cli.command("verify")
def verify() -> None:
    """Re-hash the whole chain and report any entry that was changed, removed or reordered."""
    checked, problems = verify_chain()
    for problem in problems:
        click.echo(f"✗ entry {problem.entry_id} {problem.problem}")
    if problems:
        click.echo(f"{len(problems)} problem(s) in {checked} entries.")
        sys.exit(1)
    click.echo(f"✓ {checked} entries, chain intact.")
