"""Password hashing: argon2id for new hashes, bcrypt read and upgraded.

``hash_password`` makes argon2id hashes (argon2-cffi).  ``verify_password``
also accepts bcrypt hashes (from Flask-Bcrypt or :class:`Bcrypt`), and
``needs_rehash`` says when a stored hash should be replaced after a
successful login -- a bcrypt hash always, an argon2 hash when its cost
parameters are older than the current ones.

Password rules, the same everywhere in this module:

- a password is ``str`` or UTF-8 ``bytes``; NUL bytes, invalid UTF-8 (or
  lone surrogates) and the empty password are refused with ValueError when
  hashing and make verification return False -- never a crash, never a
  silently truncated secret (bcrypt's C code stops at the first NUL);
- bcrypt reads only 72 bytes and bcrypt 5 raises on longer input, so a
  password longer than 72 bytes is pre-hashed to the base64 of its SHA-256
  (44 bytes) before bcrypt sees it.  Passwords of 72 bytes or fewer go to
  bcrypt unchanged, so hashes made by Flask-Bcrypt keep verifying.
- argon2 takes any length (it pre-hashes with BLAKE2b itself).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
import typing as t

import bcrypt as _bcrypt
from argon2 import PasswordHasher
from argon2 import Type
from argon2.exceptions import InvalidHashError
from argon2.exceptions import VerificationError

if t.TYPE_CHECKING:
    from ..app import Erlen

__all__ = [
    "Bcrypt",
    "check_password_hash",
    "configure_argon2",
    "generate_password_hash",
    "hash_password",
    "needs_rehash",
    "verify_and_update",
    "verify_password",
]

_BCRYPT_MAX = 72
_BCRYPT_PREFIXES = ("$2b$", "$2a$", "$2y$")

_lock = threading.Lock()
_hasher = PasswordHasher(type=Type.ID)
_dummy_hash: str | None = None


def configure_argon2(
    time_cost: int = 3,
    memory_cost: int = 65536,
    parallelism: int = 4,
    hash_len: int = 32,
    salt_len: int = 16,
) -> None:
    """Set the argon2id cost used by :func:`hash_password` from now on.

    The defaults are argon2-cffi's (RFC 9106 "low memory" profile).  Hashes
    made with other parameters still verify; ``needs_rehash`` reports them.
    Tests lower the cost (``time_cost=1, memory_cost=8, parallelism=1``).
    """
    global _hasher, _dummy_hash
    with _lock:
        _hasher = PasswordHasher(
            time_cost=time_cost,
            memory_cost=memory_cost,
            parallelism=parallelism,
            hash_len=hash_len,
            salt_len=salt_len,
            type=Type.ID,
        )
        _dummy_hash = None


def _password_bytes(password: str | bytes) -> bytes:
    """The password as UTF-8 bytes, or ValueError for what cannot be hashed."""
    if isinstance(password, str):
        try:
            data = password.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("The password is not valid Unicode.") from None
    elif isinstance(password, (bytes, bytearray, memoryview)):
        data = bytes(password)
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            raise ValueError("The password is not valid UTF-8.") from None
    else:
        raise TypeError("The password must be str or bytes.")
    if not data:
        raise ValueError("Password must be non-empty.")
    if b"\x00" in data:
        raise ValueError("The password must not contain NUL characters.")
    return data


def _bcrypt_input(data: bytes) -> bytes:
    """What bcrypt is given: the password, or a digest of a long one."""
    if len(data) <= _BCRYPT_MAX:
        return data
    return base64.b64encode(hashlib.sha256(data).digest())


def _to_str(value: str | bytes) -> str:
    return value.decode("ascii") if isinstance(value, bytes) else value


def hash_password(password: str | bytes) -> str:
    """An argon2id hash of ``password`` (a ``$argon2id$...`` string)."""
    return _hasher.hash(_password_bytes(password))


def _dummy() -> str:
    global _dummy_hash
    dummy = _dummy_hash
    if dummy is None:
        dummy = _dummy_hash = _hasher.hash(b"erlen dummy password")
    return dummy


def _burn(password: bytes) -> None:
    """Spend the time of a real verification, for unknown users."""
    try:
        _hasher.verify(_dummy(), password or b"x")
    except VerificationError:
        pass


def verify_password(stored_hash: str | bytes | None, password: str | bytes) -> bool:
    """True when ``password`` matches ``stored_hash`` (argon2 or bcrypt).

    Pass ``None`` when the user does not exist: a dummy hash is verified so
    the answer takes as long as for a real user, and it is False.
    """
    try:
        data = _password_bytes(password)
    except (ValueError, TypeError):
        # The same answer, whoever the user is: nothing to hide by timing.
        return False
    if not stored_hash:
        _burn(data)
        return False
    try:
        hashed = _to_str(stored_hash)
    except UnicodeDecodeError:
        _burn(data)
        return False
    if hashed.startswith("$argon2"):
        try:
            return bool(_hasher.verify(hashed, data))
        except (VerificationError, InvalidHashError):
            return False
    if hashed.startswith(_BCRYPT_PREFIXES):
        try:
            return bool(_bcrypt.checkpw(_bcrypt_input(data), hashed.encode("ascii")))
        except ValueError:  # a malformed salt or hash
            return False
    _burn(data)
    return False


def needs_rehash(stored_hash: str | bytes) -> bool:
    """True when the hash is bcrypt, malformed, or argon2 with old parameters."""
    try:
        hashed = _to_str(stored_hash)
    except UnicodeDecodeError:
        return True
    if not hashed.startswith("$argon2id$"):
        return True
    try:
        return bool(_hasher.check_needs_rehash(hashed))
    except (InvalidHashError, ValueError):
        return True


def verify_and_update(
    stored_hash: str | bytes | None, password: str | bytes
) -> tuple[bool, str | None]:
    """Verify, and on success return a new hash when the old one is outdated.

    ``ok, new_hash = verify_and_update(user.password_hash, form_password)``;
    store ``new_hash`` when it is not None (the bcrypt -> argon2 upgrade).
    """
    if not verify_password(stored_hash, password):
        return False, None
    assert stored_hash is not None
    if needs_rehash(stored_hash):
        return True, hash_password(password)
    return True, None


class Bcrypt:
    """Flask-Bcrypt's extension: ``Bcrypt(app)``, then generate and check.

    Reads ``BCRYPT_LOG_ROUNDS`` (12), ``BCRYPT_HASH_PREFIX`` ("2b") and
    ``BCRYPT_HANDLE_LONG_PASSWORDS`` (False).  With the last one True every
    password is first replaced by its SHA-256 hex digest, as Flask-Bcrypt
    does; otherwise only passwords over 72 bytes are pre-hashed (see the
    module docstring) -- never truncated, never an error.
    """

    _log_rounds = 12
    _prefix = "2b"
    _handle_long_passwords = False

    def __init__(self, app: Erlen | None = None) -> None:
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Erlen) -> None:
        self._log_rounds = int(app.config.get("BCRYPT_LOG_ROUNDS", 12))
        self._prefix = str(app.config.get("BCRYPT_HASH_PREFIX", "2b"))
        self._handle_long_passwords = bool(
            app.config.get("BCRYPT_HANDLE_LONG_PASSWORDS", False)
        )
        app.extensions["bcrypt"] = self

    def _input(self, password: str | bytes) -> bytes:
        data = _password_bytes(password)
        if self._handle_long_passwords:
            return hashlib.sha256(data).hexdigest().encode("ascii")
        return _bcrypt_input(data)

    def generate_password_hash(
        self,
        password: str | bytes,
        rounds: int | None = None,
        prefix: str | None = None,
    ) -> bytes:
        """A bcrypt hash (bytes, as Flask-Bcrypt returns); ValueError for a
        password that cannot be hashed (empty, NUL, invalid UTF-8)."""
        rounds = self._log_rounds if rounds is None else rounds
        prefix_bytes = (self._prefix if prefix is None else prefix).encode("ascii")
        salt = _bcrypt.gensalt(rounds=rounds, prefix=prefix_bytes)
        return bytes(_bcrypt.hashpw(self._input(password), salt))

    def check_password_hash(self, pw_hash: str | bytes, password: str | bytes) -> bool:
        """True when ``password`` matches; False for any bad input."""
        try:
            data = self._input(password)
            hashed = pw_hash.encode("ascii") if isinstance(pw_hash, str) else pw_hash
            return hmac.compare_digest(_bcrypt.hashpw(data, hashed), hashed)
        except (ValueError, TypeError, UnicodeEncodeError):
            return False


_default_bcrypt = Bcrypt()


def generate_password_hash(
    password: str | bytes, rounds: int | None = None, prefix: str | None = None
) -> bytes:
    """Flask-Bcrypt's module-level shortcut (12 rounds unless given)."""
    return _default_bcrypt.generate_password_hash(password, rounds, prefix)


def check_password_hash(pw_hash: str | bytes, password: str | bytes) -> bool:
    """Flask-Bcrypt's module-level shortcut."""
    return _default_bcrypt.check_password_hash(pw_hash, password)
