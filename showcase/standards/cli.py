"""`flask standards validate|import|list|export`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from showcase import db
from showcase.errors import ShowcaseError
from showcase.standards import services
from showcase.standards.loaders import get_standard_or_404

standards_cli = AppGroup("standards", help="Occupational standards (data files).")


@standards_cli.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
def validate(files: tuple[str, ...]) -> None:
    """Check data files against the schema; change nothing."""
    failed = False
    for name in files:
        try:
            doc, _sha = services.read_file(Path(name))
        except ShowcaseError as error:
            click.echo(f"✗ {error.message}", err=True)
            failed = True
        else:
            click.echo(
                f"✓ {name}: {doc.code}/{doc.version}, {len(doc.units())} units, "
                f"{len(doc.criteria())} criteria"
            )
    if failed:
        sys.exit(1)


@standards_cli.command("import")
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False))
@click.option("--bundled", is_flag=True, help="Import the data files shipped with Showcase.")
def import_(files: tuple[str, ...], bundled: bool) -> None:
    """Import data files (all or nothing)."""
    if not files and not bundled:
        raise click.UsageError("Name data files, or pass --bundled.")
    changes: list[str] = []
    try:
        results = services.import_bundled(changes=changes) if bundled else []
        for name in files:
            doc, sha = services.read_file(Path(name))
            results.append(services.import_standard(doc, sha, changes=changes))
    except ShowcaseError as error:
        db.session.rollback()
        click.echo(f"✗ {error.message}\nNothing was imported.", err=True)
        sys.exit(1)
    db.session.commit()
    for standard, outcome in results:
        click.echo(f"{standard.key}: {outcome}")
    for line in changes:
        click.echo(f"  {line}")


@standards_cli.command("list")
def list_() -> None:
    """List imported standards."""
    for s in services.list_standards():
        click.echo(f"{s.key}\t{s.jurisdiction}\t{s.title}")


@standards_cli.command("export")
@click.argument("code")
@click.option("--version", default=None)
def export(code: str, version: str | None) -> None:
    """Print an imported standard as JSON."""
    standard = get_standard_or_404(code, version)
    click.echo(json.dumps(standard.document, indent=2, ensure_ascii=False))
