"""The tables: users who log in, the people each of them keeps, avatars."""

from __future__ import annotations

import secrets
import typing as t
from datetime import datetime
from datetime import timezone

import sqlalchemy as sa
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from erlen.auth import UserMixin
from erlen.db.idempotency import keys_table

from .extensions import db
from .extensions import login_manager


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _token() -> str:
    return secrets.token_urlsafe(32)


class User(UserMixin, db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    # May open /admin; set with ``python -m peoplebook make-admin EMAIL``.
    is_admin: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # Replaced at logout: every login made before stops working (docs/auth.md).
    session_token: Mapped[str] = mapped_column(sa.String(64), default=_token)
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), default=_now
    )

    def revoke_session_token(self) -> None:
        super().revoke_session_token()
        db.session.commit()


class Person(db.Model):  # type: ignore[name-defined,misc]
    """Someone in a user's book; an email appears once per book."""

    __tablename__ = "people"
    __table_args__ = (sa.UniqueConstraint("owner_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(100))
    email: Mapped[str] = mapped_column(sa.String(254))
    age: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), default=_now
    )

    def to_json(self, has_avatar: bool = False) -> dict[str, t.Any]:
        from erlen import url_for

        avatar = url_for("api.avatar", person_id=self.id) if has_avatar else None
        return {
            "id": self.id,
            "name": self.name,
            "email": self.email,
            "age": self.age,
            "avatar": avatar,
        }


def people_json(people: t.Sequence[Person]) -> list[dict[str, t.Any]]:
    """Serialize a page of people with one query for who has an avatar."""
    ids = [p.id for p in people]
    with_avatar = (
        set(
            db.session.execute(
                sa.select(Avatar.person_id).where(Avatar.person_id.in_(ids))
            ).scalars()
        )
        if ids
        else set()
    )
    return [p.to_json(p.id in with_avatar) for p in people]


class Avatar(db.Model):  # type: ignore[name-defined,misc]
    """A person's picture, in the database so every instance can serve it."""

    __tablename__ = "avatars"

    person_id: Mapped[int] = mapped_column(
        sa.ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    content_type: Mapped[str] = mapped_column(sa.String(32))
    # A length makes MySQL pick MEDIUMBLOB; PostgreSQL (bytea) ignores it.
    data: Mapped[bytes] = mapped_column(sa.LargeBinary(length=4 * 1024 * 1024))
    updated_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), default=_now, onupdate=_now
    )


# The Idempotency-Key table of erlen.idempotency, in this app's metadata so
# the migrations create it (and autogenerate never proposes to drop it).
keys_table.to_metadata(db.metadata)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    if not user_id.isdigit():
        return None
    return db.session.get(User, int(user_id))
