"""Primary-key loads on a statement built once per model (issue 12).

``Session.get`` rebuilds ``select(Model).where(pk == :pk)`` on every call,
recomputes its cache key and runs the ORM's whole loading pipeline for one
row; that is most of the cost of a request that reads a row.  Here, per
mapped class, a Core select of the table's columns is built once (its cache
key is memoized on it) and run on the session's own connection, inside the
session's transaction, with autoflush, Core events and echo as usual; the
instance is then put into the identity map the way SQLAlchemy's loader
does for a newly loaded row.

Only plain models take this path: one table, a one-column primary key,
plain (not deferred) columns, lazy relationships, no inheritance or
polymorphism, and no ``load``/``do_orm_execute``/``loaded_as_persistent``
listeners at the time of the call.  Everything else -- and any call with
options, locking, ``populate_existing`` or a composite key -- goes through
SQLAlchemy unchanged.
"""

from __future__ import annotations

import contextlib
import typing as t
import uuid
import weakref

import sqlalchemy as sa
import sqlalchemy.orm as sa_orm
from sqlalchemy.orm import attributes as sa_attributes
from sqlalchemy.orm import loading as sa_loading

__all__ = ["FALLBACK", "fast_get"]

#: Returned by :func:`fast_get` when the caller must use SQLAlchemy's path.
FALLBACK: t.Any = object()

#: Primary key values the fast path takes as they are (anything else, like a
#: tuple, dict or composite object, goes to SQLAlchemy's normalisation).
_SCALARS = frozenset({int, str, uuid.UUID})
_PARAM = "erlen_pk"
_LAZY = frozenset({"select", True, "raise", "raise_on_sql", "dynamic", "write_only"})
# The private SQLAlchemy names this relies on (present in 2.0 and 2.1); if a
# release drops one, every call takes SQLAlchemy's own path.
_SUPPORTED = (
    hasattr(sa_orm.Session, "_identity_lookup")
    and hasattr(sa_orm.Session, "_autoflush")
    and hasattr(sa_loading, "_new_runid")
)


class _Plan:
    """What a fast get of one mapped class needs, computed once."""

    __slots__ = ("mapper", "statement", "keys", "pk_index", "path", "driver")

    def __init__(self, mapper: t.Any, columns: list[t.Any], keys: list[str]) -> None:
        self.mapper = mapper
        pk = mapper.primary_key[0]
        # The same WHERE clause Session.get builds, minus the per-call rebuild.
        self.statement = sa.select(*columns).where(
            pk == sa.bindparam(_PARAM, type_=pk.type)
        )
        self.keys = keys
        self.pk_index = columns.index(pk)
        self.path = mapper._path_registry
        #: Per dialect: (SQL, positional?) when the driver may run it directly.
        self.driver: dict[t.Any, tuple[str, bool] | None] = {}

    def driver_sql(self, dialect: t.Any) -> tuple[str, bool] | None:
        """The SQL to hand the driver, or None when Core must run it: some
        column's type converts values (dates on SQLite, numerics), which
        only Core's result processing does."""
        try:
            return self.driver[dialect]
        except KeyError:
            pass
        compiled: t.Any = self.statement.compile(dialect=dialect)
        usable = True
        try:
            for column in self.statement.selected_columns:
                impl = column.type.dialect_impl(dialect)
                if impl.result_processor(dialect, None) is not None:
                    usable = False
            pk_impl = self.mapper.primary_key[0].type.dialect_impl(dialect)
            if pk_impl.bind_processor(dialect) is not None:
                usable = False
        except Exception:  # a processor that needs the cursor's type codes
            usable = False
        positional = dialect.positional
        if positional and list(compiled.positiontup or ()) != [_PARAM]:
            usable = False
        entry = (compiled.string, positional) if usable else None
        if len(self.driver) >= 8:
            self.driver.clear()
        self.driver[dialect] = entry
        return entry


_plans: weakref.WeakKeyDictionary[type, _Plan | None] = weakref.WeakKeyDictionary()


def _make_plan(entity: type) -> _Plan | None:
    mapper: t.Any = sa.inspect(entity, raiseerr=False)
    if not isinstance(mapper, sa_orm.Mapper) or mapper.class_ is not entity:
        return None
    sa_orm.configure_mappers()
    table = mapper.local_table
    if (
        not isinstance(table, sa.Table)
        or mapper.persist_selectable is not table
        or mapper.inherits is not None
        or mapper.polymorphic_map
        or mapper.with_polymorphic
        or mapper.always_refresh
        or len(mapper.primary_key) != 1
    ):
        return None
    columns: list[t.Any] = []
    keys: list[str] = []
    for prop in mapper.iterate_properties:
        if isinstance(prop, sa_orm.ColumnProperty):
            if (
                len(prop.columns) != 1
                or not isinstance(prop.columns[0], sa.Column)
                or prop.columns[0].table is not table
                or prop.deferred
                or prop.strategy_key != (("deferred", False), ("instrument", True))
            ):
                return None
            columns.append(prop.columns[0])
            keys.append(prop.key)
        elif isinstance(prop, sa_orm.RelationshipProperty):
            if prop.lazy not in _LAZY:
                return None
        elif not isinstance(prop, (sa_orm.Synonym, sa_orm.Composite)):
            return None
    if mapper.primary_key[0] not in columns:
        return None
    return _Plan(mapper, columns, keys)


def _plan_for(entity: t.Any) -> _Plan | None:
    if not isinstance(entity, type):
        return None
    try:
        return _plans[entity]
    except KeyError:
        pass
    if sa.inspect(entity, raiseerr=False) is None:
        return None  # not mapped (yet): SQLAlchemy raises the right error
    plan = _make_plan(entity)
    _plans[entity] = plan
    return plan


def fast_get(session: sa_orm.Session, entity: t.Any, ident: t.Any) -> t.Any:
    """``session.get(entity, ident)`` for a plain call, or :data:`FALLBACK`."""
    if not _SUPPORTED or type(ident) not in _SCALARS or session.execution_options:
        return FALLBACK
    plan = _plan_for(entity)
    if plan is None:
        return FALLBACK
    mapper = plan.mapper
    if (
        mapper.class_manager.dispatch.load
        or session.dispatch.do_orm_execute
        or session.dispatch.loaded_as_persistent
    ):
        return FALLBACK
    instance = session._identity_lookup(mapper, (ident,))
    if instance is not None:
        # A row of a sibling class under the same key is not this entity.
        return instance if isinstance(instance, mapper.class_) else None
    session._autoflush()
    statement = plan.statement
    conn = session.connection(bind_arguments={"mapper": mapper, "clause": statement})
    row = _driver_row(conn, plan, ident)
    if row is FALLBACK:
        row = conn.execute(statement, {_PARAM: ident}).first()
    if row is None:
        return None
    key = mapper.identity_key_from_primary_key((row[plan.pk_index],))
    identity_map = session.identity_map
    if key in identity_map:
        # Loaded under another spelling of the key ("1" vs 1): let the ORM
        # merge the row into the object it already has.
        return FALLBACK
    instance = mapper.class_manager.new_instance()
    state = sa_attributes.instance_state(instance)
    dict_ = sa_attributes.instance_dict(instance)
    # What loading._instance does for a new row with no populators but columns.
    state.runid = sa_loading._new_runid()
    for name, value in zip(plan.keys, row, strict=True):
        dict_[name] = value
    state.key = key
    state.identity_token = None
    state.load_path = plan.path
    state.session_id = session.hash_key
    identity_map._add_unpresent(state, key)  # type: ignore[attr-defined]
    return instance


def _driver_row(conn: t.Any, plan: _Plan, ident: t.Any) -> t.Any:
    """The row straight from the DB-API cursor, or :data:`FALLBACK` when
    anything Core does on execution is in play: event listeners, echo,
    execution options (schema translation, isolation level), or types that
    convert values."""
    if conn._has_events or conn.engine._has_events or conn._echo:
        return FALLBACK
    if conn._execution_options:
        return FALLBACK
    dialect = conn.dialect
    entry = plan.driver_sql(dialect)
    if entry is None:
        return FALLBACK
    sql, positional = entry
    params: t.Any = (ident,) if positional else {_PARAM: ident}
    fairy = conn.connection
    cursor = fairy.cursor()
    try:
        cursor.execute(sql, params)
        return cursor.fetchone()
    except dialect.loaded_dbapi.Error as exc:
        # Core's own handling: wrapped in sqlalchemy.exc, a lost connection
        # invalidated.
        conn._handle_dbapi_exception(exc, sql, params, cursor, None)
        raise
    finally:
        # The connection may be gone (invalidated above): keep the real error.
        with contextlib.suppress(Exception):
            cursor.close()
