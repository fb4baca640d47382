"""The API keeps its own document: schemathesis fuzzes every operation of /api/v1/openapi.json
with a token of each role (and none), valid and invalid inputs, and fails on any 5xx, any status
the document does not declare for the operation, and any body or content type that does not
match what the document declares.

The app has its own database (suffix ``_fuzz``), seeded with the demo (every role, evidence with
files, tags, reviews, a locked and graded showcase), because fuzzed writes commit. Ids in paths
are drawn half the time from the seeded rows, so operations reach past their 404s.

Hypothesis is driven directly (``operation.as_strategy`` per operation and mode) rather than
through ``schemathesis.pytest.from_fixture``: its lazy loader sets ``node._nodeid``, which
pytest 9.2 no longer has. Failures are collected over every operation and reported together.
"""

from __future__ import annotations

import pathlib
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import func, select

from showcase import db
from showcase.accounts.models import User
from showcase.accounts.services import create_api_token
from showcase.demo import load_demo
from showcase.evidence.models import EvidenceTag
from tests.conftest import built_app

#: One demo account per role (two kinds of admin); ``None`` sends no token at all.
IDENTITIES = {
    "anonymous": None,
    "apprentice": "amira@northgate.test",
    "line_manager": "manager@northgate.test",
    "tutor": "tutor@brightpath.test",
    "assessor": "assessor@epa.test",
    "quality_assurer": "iqa@epa.test",
    "assessment_admin": "office@epa.test",
    "platform_admin": "admin@showcase.test",
}

#: Examples per operation, per mode (valid and invalid), per identity: bounded so the whole
#: module stays around two minutes on SQLite. Without a token every answer is a 401.
MAX_EXAMPLES = 8
ANONYMOUS_EXAMPLES = 2

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


@pytest.fixture(scope="module")
def fuzz_app(database_kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    tmp: pathlib.Path = tmp_path_factory.mktemp(f"fuzz-{database_kind}")
    with built_app(database_kind, tmp, "_fuzz") as application:
        with application.app_context():
            load_demo()
            db.session.commit()
        yield application


@pytest.fixture(scope="module")
def tokens(fuzz_app: Flask) -> dict[str, str | None]:
    with fuzz_app.app_context():
        plain: dict[str, str | None] = {}
        for name, email in IDENTITIES.items():
            if email is None:
                plain[name] = None
                continue
            user = db.session.scalar(select(User).where(User.email == email))
            plain[name] = create_api_token(user, name="schemathesis")[1]
        db.session.commit()
    return plain


@pytest.fixture(scope="module")
def seeded_ids(fuzz_app: Flask) -> list[int]:
    """Ids that name real rows in the seeded database (the demo's are all small)."""
    with fuzz_app.app_context():
        largest = db.session.scalar(select(func.max(EvidenceTag.id)))
    return list(range(1, max(largest, 20) + 1))


def _failures_of(
    operation: Any, mode: GenerationMode, headers: dict[str, str], examples: int
) -> dict[tuple[str, ...], str]:
    """Run one operation's cases in one mode; return each distinct failure with one example."""
    found: dict[tuple[str, ...], str] = {}

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: the report names the case
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        try:
            case.call_and_validate(headers=headers, checks=CHECKS)
        except FailureGroup as group:
            for failure in group.exceptions:
                key = (operation.label, failure.title, *failure.message.splitlines()[:1])
                found.setdefault(key, f"{operation.label} [{mode}]: {group}")

    try:
        run()
    except Unsatisfiable:
        # Nothing of this operation can be made invalid (no body, query or typed parameter).
        if mode is not GenerationMode.NEGATIVE:
            raise
    return found


@pytest.mark.parametrize("identity", list(IDENTITIES))
def test_every_operation_keeps_to_the_document(
    fuzz_app: Flask, tokens: dict[str, str | None], seeded_ids: list[int], identity: str
) -> None:
    token = tokens[identity]
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", fuzz_app)
    # Each identity sends its own token (or none): schemathesis neither adds nor mangles one.
    schema.config.generation.update(with_security_parameters=False)
    examples = MAX_EXAMPLES if token else ANONYMOUS_EXAMPLES

    @schema.hook
    def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any]) -> Any:
        # Half the time each integer id names a seeded row instead of a random number, so
        # operations get past their 404s.
        if not path_parameters:
            return st.just(path_parameters)
        return st.fixed_dictionaries(
            {
                name: st.one_of(st.just(value), st.sampled_from(seeded_ids))
                if isinstance(value, int) and not isinstance(value, bool)
                else st.just(value)
                for name, value in path_parameters.items()
            }
        )

    failures: dict[tuple[str, ...], str] = {}
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            for key, example in _failures_of(operation, mode, headers, examples).items():
                failures.setdefault(key, example)
    assert operations >= 30
    assert not failures, (
        f"{len(failures)} distinct failures:\n"
        + "\n".join(" | ".join(key) for key in failures)
        + "\n\nOne example of each:\n\n"
        + "\n\n".join(failures.values())
    )
