"""``werkzeug.security``: password hashes in Werkzeug's stored formats.

A hash is ``method$salt$hex`` where method is ``scrypt:n:r:p`` or
``pbkdf2:hash_name:iterations``; hashes written by Werkzeug check here and
the other way round, so a user table survives the switch in both directions.
Only hashlib is used.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string

from erlen.files import safe_join as safe_join

__all__ = [
    "DEFAULT_PBKDF2_ITERATIONS",
    "SALT_CHARS",
    "check_password_hash",
    "gen_salt",
    "generate_password_hash",
    "safe_join",
]

SALT_CHARS = string.ascii_letters + string.digits
DEFAULT_PBKDF2_ITERATIONS = 1_000_000
_SCRYPT_DEFAULTS = (2**15, 8, 1)


def gen_salt(length: int) -> str:
    """``length`` random characters from :data:`SALT_CHARS`."""
    if length <= 0:
        raise ValueError("Salt length must be at least 1.")
    return "".join(secrets.choice(SALT_CHARS) for _ in range(length))


def _scrypt(args: list[str], salt: bytes, password: bytes) -> tuple[str, str]:
    if args:
        try:
            n, r, p = (int(a) for a in args)
        except ValueError:
            raise ValueError("'scrypt' takes 3 arguments: n, r and p.") from None
    else:
        n, r, p = _SCRYPT_DEFAULTS
    # hashlib needs a little more than 128 * n * r * p bytes of room.
    digest = hashlib.scrypt(password, salt=salt, n=n, r=r, p=p, maxmem=132 * n * r * p)
    return digest.hex(), f"scrypt:{n}:{r}:{p}"


def _pbkdf2(args: list[str], salt: bytes, password: bytes) -> tuple[str, str]:
    if len(args) > 2:
        raise ValueError("'pbkdf2' takes 2 arguments: hash name and iterations.")
    hash_name = args[0] if args else "sha256"
    iterations = int(args[1]) if len(args) == 2 else DEFAULT_PBKDF2_ITERATIONS
    digest = hashlib.pbkdf2_hmac(hash_name, password, salt, iterations)
    return digest.hex(), f"pbkdf2:{hash_name}:{iterations}"


def _derive(method: str, salt: str, password: str) -> tuple[str, str]:
    """The hex digest and the full method string for ``method``."""
    name, *args = method.split(":")
    if name == "scrypt":
        return _scrypt(args, salt.encode(), password.encode())
    if name == "pbkdf2":
        return _pbkdf2(args, salt.encode(), password.encode())
    raise ValueError(f"Invalid hash method {name!r}.")


def generate_password_hash(
    password: str, method: str = "scrypt", salt_length: int = 16
) -> str:
    """Hash ``password`` for storage (default ``scrypt:32768:8:1``)."""
    salt = gen_salt(salt_length)
    digest, full_method = _derive(method, salt, password)
    return f"{full_method}${salt}${digest}"


def check_password_hash(pwhash: str, password: str) -> bool:
    """True if ``password`` matches ``pwhash``; compared in constant time."""
    parts = pwhash.split("$", 2)
    if len(parts) != 3:
        return False
    method, salt, expected = parts
    return hmac.compare_digest(_derive(method, salt, password)[0], expected)
