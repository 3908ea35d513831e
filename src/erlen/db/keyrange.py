"""Integer keys a column cannot hold: no row, so no query (and no 500).

A ``/items/<int:id>`` route takes any number of digits, and the databases
disagree on what a key too big for its column does: PostgreSQL casts the
parameter to the column's type and raises ``DataError`` (integer out of
range), SQLite's driver raises ``OverflowError`` past 64 bits, MariaDB
compares and finds nothing.  A key outside the column's range can match no
row anywhere, so the lookups here answer "not found" before asking.

The range is the column's type on the database at hand: on PostgreSQL
``SmallInteger`` is 16 bits, ``Integer`` 32 and ``BigInteger`` 64; on
MariaDB/MySQL the same plus ``TINYINT``/``MEDIUMINT`` and ``unsigned``;
SQLite stores every integer in up to 64 bits whatever the declared type.
"""

from __future__ import annotations

import typing as t
import weakref

import sqlalchemy as sa
import sqlalchemy.orm as sa_orm
from sqlalchemy.sql import elements as sa_elements
from sqlalchemy.sql import operators as sa_operators

__all__ = ["cannot_match", "key_cannot_exist", "int_range"]

Range = tuple[int, int]

#: What every integer column holds on every database: the common case
#: (ids below 32768) costs two comparisons and no lookup.
_SMALL = -(2**15), 2**15 - 1
_INT64 = -(2**63), 2**63 - 1
_MYSQL_BITS = {"TINYINT": 8, "SMALLINT": 16, "MEDIUMINT": 24, "BIGINT": 64}

#: Per mapped class, per dialect name: the range of each primary key column
#: (None for a column that is not a plain integer).
_pk_ranges: weakref.WeakKeyDictionary[type, dict[str, tuple[Range | None, ...]]] = (
    weakref.WeakKeyDictionary()
)


def _signed(bits: int) -> Range:
    return -(2 ** (bits - 1)), 2 ** (bits - 1) - 1


def int_range(type_: t.Any, dialect: t.Any) -> Range | None:
    """The values a column of ``type_`` holds on ``dialect``, or None when
    it is not a plain integer type (a TypeDecorator may convert the value,
    so it is left alone)."""
    impl = type_.dialect_impl(dialect)
    if isinstance(impl, sa.TypeDecorator) or not isinstance(impl, sa.Integer):
        return None
    name = dialect.name
    if name == "postgresql":
        if isinstance(impl, sa.SmallInteger):
            return _signed(16)
        if isinstance(impl, sa.BigInteger):
            return _INT64
        return _signed(32)
    if name in ("mysql", "mariadb"):
        bits = 32
        for cls in type(impl).__mro__:
            if cls.__name__ in _MYSQL_BITS:
                bits = _MYSQL_BITS[cls.__name__]
                break
        else:
            if isinstance(impl, sa.SmallInteger):
                bits = 16
            elif isinstance(impl, sa.BigInteger):
                bits = 64
        if getattr(impl, "unsigned", False):
            return 0, 2**bits - 1
        return _signed(bits)
    # SQLite (any declared integer type holds 64 bits) and the rest: what
    # a driver can bind at all.
    return _INT64


def _out_of(value: t.Any, bounds: Range | None) -> bool:
    return (
        bounds is not None
        and isinstance(value, int)
        and not bounds[0] <= value <= bounds[1]
    )


def _ranges_for(mapper: t.Any, dialect: t.Any) -> tuple[Range | None, ...]:
    cls = mapper.class_
    per_dialect = _pk_ranges.get(cls)
    if per_dialect is None:
        per_dialect = _pk_ranges[cls] = {}
    ranges = per_dialect.get(dialect.name)
    if ranges is None:
        ranges = per_dialect[dialect.name] = tuple(
            int_range(column.type, dialect) for column in mapper.primary_key
        )
    return ranges


def key_cannot_exist(session: sa_orm.Session, entity: t.Any, ident: t.Any) -> bool:
    """Whether ``session.get(entity, ident)`` can only be None because an
    integer in ``ident`` does not fit its primary key column."""
    cls = ident.__class__
    if cls is int:
        if _SMALL[0] <= ident <= _SMALL[1]:
            return False
        values: t.Any = (ident,)
    elif cls is tuple or cls is list or cls is dict:
        values = ident
    else:
        return False
    wide = [
        v
        for v in (values.values() if cls is dict else values)
        if isinstance(v, int) and not _SMALL[0] <= v <= _SMALL[1]
    ]
    if not wide:
        return False
    mapper: t.Any = sa.inspect(entity, raiseerr=False)
    if not isinstance(mapper, sa_orm.Mapper):
        return False  # SQLAlchemy raises the right error
    dialect = session.get_bind(mapper=mapper).dialect
    ranges = _ranges_for(mapper, dialect)
    if cls is dict:
        keys = [mapper.get_property_by_column(c).key for c in mapper.primary_key]
        return any(_out_of(ident.get(k), r) for k, r in zip(keys, ranges, strict=True))
    if len(values) != len(ranges):
        return False  # a wrong number of values: SQLAlchemy's error
    return any(_out_of(v, r) for v, r in zip(values, ranges, strict=True))


def cannot_match(session: sa_orm.Session, where: t.Any) -> bool:
    """Whether the WHERE clause ``where`` has a ``column == value`` term,
    ANDed with the rest, whose integer value the column cannot hold -- so
    no row can match (``first_or_404`` of ``select(M).where(M.id == n)``)."""
    if where is None:
        return False
    if (
        isinstance(where, sa_elements.BooleanClauseList)
        and where.operator is sa_operators.and_
    ):
        terms: t.Any = where.clauses
    else:
        terms = (where,)
    dialect = None
    for term in terms:
        if (
            not isinstance(term, sa_elements.BinaryExpression)
            or term.operator is not sa_operators.eq
        ):
            continue
        column, value = term.left, term.right
        if isinstance(column, sa_elements.BindParameter):
            column, value = value, column
        # Only a plain column: an expression's value may be wider than its
        # declared type (INT + INT is a BIGINT on MariaDB).
        if not isinstance(column, sa.Column) or not isinstance(
            value, sa_elements.BindParameter
        ):
            continue
        number = value.effective_value
        if not isinstance(number, int) or _SMALL[0] <= number <= _SMALL[1]:
            continue
        if dialect is None:
            dialect = session.get_bind(clause=where).dialect
        if _out_of(number, int_range(column.type, dialect)):
            return True
    return False
