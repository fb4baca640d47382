"""`flask audit verify` and `flask audit checkpoint`."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from showcase.audit import checkpoints
from showcase.storage_ext import get_storage

audit_cli = AppGroup("audit", help="The hash-chained audit trail.")


@audit_cli.command("verify")
def verify() -> None:
    """Re-hash the chain, hold it against the newest signed checkpoint, report any problem."""
    report = checkpoints.verify(get_storage())
    checkpoint = report.checkpoint
    against = (
        f"the checkpoint of {checkpoint.count} entries written "
        f"{checkpoint.at:%Y-%m-%d %H:%M:%S} UTC"
        if checkpoint is not None
        else None
    )
    for problem in report.problems:
        click.echo(f"✗ {problem.text}")
    if report.problems:
        click.echo(
            f"{len(report.problems)} problem(s) in {report.checked} entries"
            + (f", checked against {against}." if against else "; no valid checkpoint found.")
        )
        sys.exit(1)
    if against is None:
        click.echo(
            f"✓ {report.checked} entries, chain intact; no checkpoint yet, so deleted newest "
            "entries could not be noticed: run `flask audit checkpoint`."
        )
    else:
        click.echo(f"✓ {report.checked} entries, chain intact; matches {against}.")


@audit_cli.command("checkpoint")
def checkpoint() -> None:
    """Write a signed checkpoint of the chain's head to the write-once store (run it from cron)."""
    made, written = checkpoints.write_checkpoint(get_storage(), reason="scheduled")
    if made is None:
        click.echo("The audit chain is empty: nothing to checkpoint.")
    elif written:
        click.echo(
            f"Checkpoint written: {made.count} entries, head {made.head_hash[:12]}… ({made.key})."
        )
    else:
        click.echo(
            f"The head ({made.count} entries, {made.head_hash[:12]}…) is already checkpointed."
        )
