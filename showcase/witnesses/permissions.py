"""Who may ask for, manage and read witness statements.

The assessor of a locked showcase and the quality assurers who sample it read the witness
register too, but who they are is decided in ``showcase.assessment``, a layer above this one.
So the app's wiring registers that check here (``add_reader_check``, in ``showcase.views``)
rather than this package importing upwards; without it only the parties and their
organisations' administrators read the register.
"""

from __future__ import annotations

from collections.abc import Callable

from showcase.accounts.models import User
from showcase.portfolios.models import Apprenticeship
from showcase.portfolios.permissions import can_manage_apprenticeship
from showcase.witnesses.models import WitnessRequest, WitnessRequestStatus

#: (user, apprenticeship) -> whether they read its witness register for another reason.
ReaderCheck = Callable[[User, Apprenticeship], bool]
_reader_checks: list[ReaderCheck] = []


def add_reader_check(check: ReaderCheck) -> None:
    """Let a higher layer grant reading (once per check, however many apps are built)."""
    if check not in _reader_checks:
        _reader_checks.append(check)


def is_party(user: User, apprenticeship: Apprenticeship) -> bool:
    return user.id in (
        apprenticeship.apprentice_id,
        apprenticeship.tutor_id,
        apprenticeship.line_manager_id,
    )


def can_request_statement(user: User, apprenticeship: Apprenticeship) -> bool:
    """The apprentice, or their tutor, asks someone for a witness statement."""
    return user.is_active and user.id in (apprenticeship.apprentice_id, apprenticeship.tutor_id)


def can_manage_request(user: User, request: WitnessRequest) -> bool:
    """Resend or withdraw a request still waiting: the apprentice or their tutor."""
    return (
        can_request_statement(user, request.apprenticeship)
        and request.status is WitnessRequestStatus.WAITING
    )


def can_see_witnesses(user: User, apprenticeship: Apprenticeship) -> bool:
    """The witness register, statements, signature records and verification: the parties,
    their organisations' administrators, and whoever a registered check admits (the
    assessor and quality assurers of the apprenticeship's locked showcase)."""
    if is_party(user, apprenticeship) or can_manage_apprenticeship(user, apprenticeship):
        return True
    return any(check(user, apprenticeship) for check in _reader_checks)
