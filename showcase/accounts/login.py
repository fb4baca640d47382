"""Flask-Login wiring: session ids carry a rotating token; API clients send a Bearer token."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Flask, Request, g
from flask_login import current_user

from showcase import db
from showcase.accounts import services
from showcase.accounts.models import Role, User
from showcase.errors import Forbidden
from showcase.extensions import login_manager


def init_login(app: Flask) -> None:
    login_manager.init_app(app)

    @app.before_request
    def _forget_cached_user() -> None:
        # Flask-Login caches the user on ``g``, which outlives a request when an app context
        # is already pushed (tests, CLI). Reload per request, in that request's session.
        g.pop("_login_user", None)

    login_manager.login_view = "accounts.sign_in"
    login_manager.login_message = "Please sign in to see that page."
    login_manager.login_message_category = "info"


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    # The id is "<pk>:<session_token>". Sign-out rotates the token, so a session or remember-me
    # cookie copied before sign-out no longer matches anyone.
    pk, _, token = user_id.partition(":")
    if not pk.isdigit() or not token:
        return None
    user = db.session.get(User, int(pk))
    if user is None or not user.is_active or user.session_token != token:
        return None
    return user


def user_from_bearer(request: Request) -> User | None:
    """The API user named by an ``Authorization: Bearer`` header, or None.

    The API accepts only tokens and pages accept only the session cookie, so a page cannot be
    tricked into a cross-site API call (the API is exempt from CSRF for that reason).
    """
    header = request.headers.get("Authorization", "")
    scheme, _, plain = header.partition(" ")
    if scheme.lower() != "bearer" or not plain.strip():
        return None
    return services.user_for_api_token(plain.strip())


def roles_required(*roles: Role) -> Callable:
    """Refuse (403) signed-in users whose role is not one of ``roles``."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles:
                raise Forbidden("Your role cannot do this.")
            return view(*args, **kwargs)

        return wrapper

    return decorator
