"""Flask extension instances, initialised in create_app."""

from __future__ import annotations

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
login_manager = LoginManager()
# The store comes from RATELIMIT_STORAGE_URI: Redis in production so every worker shares counts.
limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)
