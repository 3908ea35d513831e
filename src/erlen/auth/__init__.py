"""erlen.auth: Flask-Login's and Flask-Bcrypt's APIs, hardened.

See docs/auth.md for the design: which token is revocable and why, how long
passwords are handled, and the bcrypt -> argon2 upgrade path.
"""

from __future__ import annotations

from .hashing import Bcrypt as Bcrypt
from .hashing import check_password_hash as check_password_hash
from .hashing import configure_argon2 as configure_argon2
from .hashing import generate_password_hash as generate_password_hash
from .hashing import hash_password as hash_password
from .hashing import needs_rehash as needs_rehash
from .hashing import verify_and_update as verify_and_update
from .hashing import verify_password as verify_password
from .login import AnonymousUserMixin as AnonymousUserMixin
from .login import LoginManager as LoginManager
from .login import UserMixin as UserMixin
from .login import confirm_login as confirm_login
from .login import current_user as current_user
from .login import fresh_login_required as fresh_login_required
from .login import login_fresh as login_fresh
from .login import login_remembered as login_remembered
from .login import login_required as login_required
from .login import login_url as login_url
from .login import login_user as login_user
from .login import logout_user as logout_user
from .signals import session_protected as session_protected
from .signals import user_accessed as user_accessed
from .signals import user_loaded_from_cookie as user_loaded_from_cookie
from .signals import user_loaded_from_request as user_loaded_from_request
from .signals import user_logged_in as user_logged_in
from .signals import user_logged_out as user_logged_out
from .signals import user_login_confirmed as user_login_confirmed
from .signals import user_needs_refresh as user_needs_refresh
from .signals import user_unauthorized as user_unauthorized
from .utils import get_next_url as get_next_url
from .utils import is_safe_next_url as is_safe_next_url

__all__ = [
    "AnonymousUserMixin",
    "Bcrypt",
    "LoginManager",
    "UserMixin",
    "check_password_hash",
    "configure_argon2",
    "confirm_login",
    "current_user",
    "fresh_login_required",
    "generate_password_hash",
    "get_next_url",
    "hash_password",
    "is_safe_next_url",
    "login_fresh",
    "login_remembered",
    "login_required",
    "login_url",
    "login_user",
    "logout_user",
    "needs_rehash",
    "session_protected",
    "user_accessed",
    "user_loaded_from_cookie",
    "user_loaded_from_request",
    "user_logged_in",
    "user_logged_out",
    "user_login_confirmed",
    "user_needs_refresh",
    "user_unauthorized",
    "verify_and_update",
    "verify_password",
]
