"""Password hashing: argon2id, Flask-Bcrypt's API, long and bad passwords."""

from __future__ import annotations

import typing as t

import pytest

from erlen import Erlen
from erlen.auth import Bcrypt
from erlen.auth import hash_password
from erlen.auth import hashing
from erlen.auth import needs_rehash
from erlen.auth import verify_and_update
from erlen.auth import verify_password

PASSPHRASE_100 = "correct horse battery staple " * 3 + "and a bit more padding!!"
ONE_MIB = "p" * (1024 * 1024)
BAD_PASSWORDS: list[t.Any] = [
    "nul\x00byte",
    b"nul\x00byte",
    b"\xff\xfe bad utf8",
    "\ud800",
]


@pytest.fixture
def bcrypt_ext(app: Erlen) -> Bcrypt:
    app.config["BCRYPT_LOG_ROUNDS"] = 4
    return Bcrypt(app)


def test_argon2id_hash_and_verify() -> None:
    hashed = hash_password("s3cret pass")
    assert hashed.startswith("$argon2id$")
    assert hashed != hash_password("s3cret pass")  # salted
    assert verify_password(hashed, "s3cret pass")
    assert verify_password(hashed.encode(), b"s3cret pass")
    assert not verify_password(hashed, "s3cret pasS")
    assert not needs_rehash(hashed)


def test_flask_bcrypt_api(app: Erlen, bcrypt_ext: Bcrypt) -> None:
    pw_hash = bcrypt_ext.generate_password_hash("hunter2")
    assert isinstance(pw_hash, bytes) and pw_hash.startswith(b"$2b$04$")
    hashed = pw_hash.decode("utf-8")
    assert bcrypt_ext.check_password_hash(hashed, "hunter2")
    assert bcrypt_ext.check_password_hash(pw_hash, b"hunter2")
    assert not bcrypt_ext.check_password_hash(hashed, "hunter3")
    assert bcrypt_ext.generate_password_hash("x", rounds=5).startswith(b"$2b$05$")
    assert app.extensions["bcrypt"] is bcrypt_ext
    with pytest.raises(ValueError, match="non-empty"):
        bcrypt_ext.generate_password_hash("")
    assert not bcrypt_ext.check_password_hash("not a hash", "hunter2")
    assert not bcrypt_ext.check_password_hash(hashed, "")


@pytest.mark.parametrize("password", [PASSPHRASE_100, ONE_MIB])
def test_long_passwords_are_not_truncated(bcrypt_ext: Bcrypt, password: str) -> None:
    # bcrypt itself reads 72 bytes; a password differing after them must fail.
    other = password[:72] + "DIFFERENT" + password[81:]
    b_hash = bcrypt_ext.generate_password_hash(password)
    assert bcrypt_ext.check_password_hash(b_hash, password)
    assert not bcrypt_ext.check_password_hash(b_hash, other)
    a_hash = hash_password(password)
    assert verify_password(a_hash, password)
    assert not verify_password(a_hash, other)
    # verify_password reads bcrypt hashes the same way (the upgrade path).
    assert verify_password(b_hash, password)
    assert not verify_password(b_hash, other)


def test_short_bcrypt_hashes_stay_compatible(bcrypt_ext: Bcrypt) -> None:
    """A hash made by plain bcrypt (Flask-Bcrypt) for a <=72-byte password."""
    import bcrypt

    legacy = bcrypt.hashpw(b"old password", bcrypt.gensalt(4))
    assert bcrypt_ext.check_password_hash(legacy, "old password")
    assert verify_password(legacy, "old password")


def test_handle_long_passwords_mode(app: Erlen) -> None:
    import hashlib

    import bcrypt

    app.config.update(BCRYPT_LOG_ROUNDS=4, BCRYPT_HANDLE_LONG_PASSWORDS=True)
    ext = Bcrypt(app)
    # Flask-Bcrypt's scheme: bcrypt of the SHA-256 hex digest.
    flask_made = bcrypt.hashpw(
        hashlib.sha256(b"pw").hexdigest().encode(), bcrypt.gensalt(4)
    )
    assert ext.check_password_hash(flask_made, "pw")
    assert ext.check_password_hash(ext.generate_password_hash(ONE_MIB), ONE_MIB)


@pytest.mark.parametrize("password", BAD_PASSWORDS)
def test_nul_and_invalid_utf8_fail_cleanly(bcrypt_ext: Bcrypt, password: t.Any) -> None:
    with pytest.raises(ValueError):
        hash_password(password)
    with pytest.raises(ValueError):
        bcrypt_ext.generate_password_hash(password)
    good = hash_password("nul")
    assert verify_password(good, password) is False
    assert (
        bcrypt_ext.check_password_hash(
            bcrypt_ext.generate_password_hash("nul"), password
        )
        is False
    )


def test_nul_is_not_a_truncation(bcrypt_ext: Bcrypt) -> None:
    """bcrypt's C code stops at NUL: "a\\0anything" would equal "a"."""
    hashed = bcrypt_ext.generate_password_hash("a")
    assert not bcrypt_ext.check_password_hash(hashed, "a\x00anything")
    assert not verify_password(hashed, "a\x00anything")


def test_empty_password() -> None:
    with pytest.raises(ValueError):
        hash_password("")
    assert not verify_password(hash_password("x"), "")


def test_unknown_user_costs_a_real_verification(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = hashing._hasher
    calls: list[str] = []

    class Spy:
        def hash(self, password: bytes) -> str:
            return real.hash(password)

        def verify(self, hashed: str, password: bytes) -> bool:
            calls.append(hashed)
            return bool(real.verify(hashed, password))

    monkeypatch.setattr(hashing, "_hasher", Spy())
    monkeypatch.setattr(hashing, "_dummy_hash", None)
    assert verify_password(None, "whatever") is False
    assert verify_password("", "whatever") is False
    assert verify_password("$unknown$format", "whatever") is False
    assert len(calls) == 3 and all(h.startswith("$argon2id$") for h in calls)
    # A real user's wrong password goes through the same verify.
    assert verify_password(real.hash(b"right"), "wrong") is False
    assert len(calls) == 4


@pytest.mark.parametrize(
    "bad_hash",
    ["$argon2id$garbage", "$2b$04$short", "plaintext", "$2b$", "\u00e9"],
)
def test_malformed_hashes_are_false(bad_hash: str) -> None:
    assert verify_password(bad_hash, "password") is False
    assert needs_rehash(bad_hash)


def test_bcrypt_is_upgraded_to_argon2(bcrypt_ext: Bcrypt) -> None:
    old = bcrypt_ext.generate_password_hash("upgrade me").decode()
    assert needs_rehash(old)
    ok, new = verify_and_update(old, "upgrade me")
    assert ok and new is not None and new.startswith("$argon2id$")
    assert verify_password(new, "upgrade me")
    assert verify_and_update(new, "upgrade me") == (True, None)
    assert verify_and_update(old, "wrong") == (False, None)


def test_stronger_parameters_ask_for_rehash() -> None:
    weak = hash_password("pw")
    hashing.configure_argon2(time_cost=2, memory_cost=16, parallelism=1)
    try:
        assert needs_rehash(weak)
        assert verify_password(weak, "pw")  # old hashes still verify
        ok, new = verify_and_update(weak, "pw")
        assert ok and new is not None and not needs_rehash(new)
    finally:
        hashing.configure_argon2(time_cost=1, memory_cost=8, parallelism=1)


def test_module_level_flask_bcrypt_functions() -> None:
    from erlen.auth import check_password_hash
    from erlen.auth import generate_password_hash

    hashed = generate_password_hash("pw", rounds=4)
    assert check_password_hash(hashed, "pw")
    assert not check_password_hash(hashed, "px")
