"""Not a controller: it only re-uses the users blueprint (no double registration)."""

from .users import bp as users_bp

__all__ = ["users_bp"]
