"""How much of the audit trail an administrator reads, and who verifies its chain. Pure predicates.

The page itself is for administrators only (``roles_required(Role.ADMIN)`` on the view).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # a hint only: the audit trail sits below accounts, which records into it
    from showcase.accounts.models import User


def can_read_every_entry(user: User) -> bool:
    """Platform administrators read every entry; organisation administrators only those of
    apprenticeships they administer."""
    return user.is_platform_admin


def can_verify_chain(user: User) -> bool:
    """The whole chain is verified only for those who may read all of it."""
    return can_read_every_entry(user)
