"""The declarative base behind ``db.Model``.

One base per :class:`~erlen.db.SQLAlchemy` instance, built on SQLAlchemy 2's
``DeclarativeBase`` so both the typed style (``Mapped[int] = mapped_column()``)
and the classic style (``id = db.Column(db.Integer, primary_key=True)``) map.
On top of it: a snake_case ``__tablename__`` when none is given, a
``__bind_key__`` that moves the table into that bind's ``MetaData``, and the
legacy ``Model.query``.
"""

from __future__ import annotations

import re
import types
import typing as t

import sqlalchemy as sa
import sqlalchemy.orm as sa_orm

if t.TYPE_CHECKING:
    from .extension import SQLAlchemy
    from .query import Query

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def camel_to_snake_case(name: str) -> str:
    """``UserProfile`` → ``user_profile``, ``HTTPLog`` → ``http_log``."""
    return _CAMEL.sub("_", name).lower()


class _QueryProperty:
    """``Model.query``: a fresh legacy Query on the current session."""

    def __get__(self, obj: Model | None, cls: type[Model]) -> Query[t.Any]:
        return cls.query_class(cls, session=cls.__erlen_db__.session())


class Model:
    """Methods and settings every model gets (subclass to add your own).

    Pass a subclass as ``SQLAlchemy(model_class=...)``; it may also be a
    ``DeclarativeBase`` subclass carrying a ``type_annotation_map``.
    """

    __erlen_db__: t.ClassVar[SQLAlchemy]
    # Classic-style models may annotate plain columns (`id: int = db.Column()`).
    __allow_unmapped__ = True

    query_class: t.ClassVar[type[Query[t.Any]]]
    query: t.ClassVar[Query[t.Any]] = t.cast("Query[t.Any]", _QueryProperty())

    def __init_subclass__(cls, **kwargs: t.Any) -> None:
        # NOTE: runs before DeclarativeBase.__init_subclass__ maps the class,
        # so the metadata and the table name are in place in time.
        if "__bind_key__" in cls.__dict__:
            key = cls.__dict__["__bind_key__"]
            cls.metadata = cls.__erlen_db__._make_metadata(key)  # type: ignore[attr-defined]
        if _needs_tablename(cls):
            cls.__tablename__ = camel_to_snake_case(cls.__name__)  # type: ignore[attr-defined]
        super().__init_subclass__(**kwargs)

    def __repr__(self) -> str:
        state = sa.inspect(self)
        if state.transient:
            ident = f"(transient {id(self)})"
        elif state.pending:
            ident = f"(pending {id(self)})"
        else:
            key = state.identity
            ident = ", ".join(map(str, key)) if key else "?"
        return f"<{type(self).__name__} {ident}>"


def _needs_tablename(cls: type) -> bool:
    """Whether ``cls`` should get an automatic ``__tablename__``.

    Not for abstract classes, classes naming their table, or subclasses of a
    mapped model without a primary key of their own (single-table
    inheritance); yes for a joined-table subclass that declares its key.
    """
    own = cls.__dict__
    if own.get("__abstract__") or "__tablename__" in own or "__table__" in own:
        return False
    if sa_orm.DeclarativeBase in cls.__bases__:
        return False  # the declarative base itself
    for base in cls.__mro__[1:]:
        declared = base.__dict__.get("__tablename__")
        if isinstance(declared, sa_orm.declared_attr):
            return False  # a mixin computes it
    mapped_parent = any(
        base.__dict__.get("__table__") is not None for base in cls.__mro__[1:]
    )
    return not mapped_parent or _declares_primary_key(cls)


def _declares_primary_key(cls: type) -> bool:
    for value in cls.__dict__.values():
        if isinstance(value, sa.Column) and value.primary_key:
            return True
        if isinstance(value, sa_orm.MappedColumn) and value.column.primary_key:
            return True
    return False


def make_declarative_base(
    db: SQLAlchemy, model_class: type[t.Any], metadata: sa.MetaData
) -> type[t.Any]:
    """Build ``db.Model`` from ``model_class`` (a mixin or a DeclarativeBase)."""
    body: dict[str, t.Any] = {"__erlen_db__": db, "query_class": db.Query}
    if isinstance(model_class, type) and issubclass(
        model_class, sa_orm.DeclarativeBase
    ):
        # The user's base keeps its own metadata and registry.
        body["__abstract__"] = True
        bases: tuple[type, ...] = (Model, model_class)
        if issubclass(model_class, Model):
            bases = (model_class,)
    else:
        body["metadata"] = metadata
        bases = (model_class, sa_orm.DeclarativeBase)
        if not issubclass(model_class, Model):
            bases = (model_class, Model, sa_orm.DeclarativeBase)
    return types.new_class("Model", bases, {}, lambda ns: ns.update(body))
