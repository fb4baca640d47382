"""Handlers do not commit: the request's end does (``showcase.db.end_request_transaction``).

A mutating request that succeeds is committed once, after its handler returns, and a failed
one is rolled back, so no handler can commit twice or forget to (indico's ``RH.process``). This
reads every page and API module (``views.py``, ``api.py``, ``web.py`` and any other module that
makes a Blueprint) and fails on a ``.commit()`` call outside the few handlers that must commit
part-way, each listed below with the reason.
"""

from __future__ import annotations

import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "showcase"

#: ``module:function`` → why it commits before the request ends. Keep it short.
ALLOWED: dict[str, str] = {
    "showcase.assessment.views:refusals_audited": (
        "records a refused assignment, then re-raises the refusal, which rolls the request back"
    ),
    "showcase.exports.views:commit_export_audit": (
        "an export is a GET, which the request's end rolls back; its audit entry is committed "
        "before the first byte is sent, so no export goes unrecorded"
    ),
    "showcase.eqa.views:audit_page_view": (
        "every page an external quality assurer views is audited; a view is a GET, which the "
        "request's end rolls back, so the entry is committed here"
    ),
    "showcase.evidence.views:store_upload": (
        "commits inside the blob guard, so a failed commit removes the blob; the no-script form "
        "stores each of its files this way, so one refused file does not lose the others"
    ),
    "showcase.evidence.views:start_upload_response": (
        "a failed commit must abort the storage multipart upload it has just started"
    ),
    "showcase.evidence.views:upload_part_response": (
        "commits the finished upload inside the blob guard; a refused last part discards the "
        "session and commits that before re-raising the refusal"
    ),
    "showcase.submissions.views:lock": (
        "commits inside the blob guard, so a failed commit removes the frozen copies"
    ),
    "showcase.witnesses.views:sign": (
        "commits inside the blob guard, so a failed commit removes the statement's file and PDF"
    ),
    "showcase.submissions.api:post_lock": (
        "commits inside the blob guard, so a failed commit removes the frozen copies"
    ),
}


def handler_modules() -> list[pathlib.Path]:
    """Page and API modules: views.py, api.py, web.py, and any other module with a Blueprint."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name in ("views.py", "api.py", "web.py") or "Blueprint(" in path.read_text():
            found.append(path)
    return found


def module_name(path: pathlib.Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


def commits_in(path: pathlib.Path) -> list[tuple[str, int]]:
    """(``module:function``, line) of each ``.commit()`` call in the module."""
    found: list[tuple[str, int]] = []
    module = module_name(path)

    def visit(node: ast.AST, scope: list[str]) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            scope = [*scope, node.name]
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "commit"
        ):
            found.append((f"{module}:{'.'.join(scope) or '<module>'}", node.lineno))
        for child in ast.iter_child_nodes(node):
            visit(child, scope)

    visit(ast.parse(path.read_text(), filename=str(path)), [])
    return found


def test_the_scan_finds_the_handler_modules() -> None:
    names = {module_name(path) for path in handler_modules()}
    assert {"showcase.web", "showcase.evidence.views", "showcase.evidence.api"} <= names
    assert "showcase.admin.audit" in names  # a Blueprint in a module named otherwise


def test_handlers_leave_the_commit_to_the_request() -> None:
    stray = [
        f"{path.relative_to(ROOT)}:{line} ({where})"
        for path in handler_modules()
        for where, line in commits_in(path)
        if where not in ALLOWED
    ]
    assert not stray, (
        "These handlers commit; the request commits once after a successful handler and rolls "
        "back a failed one (showcase.db.end_request_transaction). Remove the commit, or, if the "
        "handler must commit part-way, add it to ALLOWED with the reason:\n" + "\n".join(stray)
    )


def test_every_allowed_commit_is_still_there() -> None:
    """An entry whose commit has gone is removed too, so the list stays the short truth."""
    present = {where for path in handler_modules() for where, _line in commits_in(path)}
    assert not set(ALLOWED) - present, sorted(set(ALLOWED) - present)
