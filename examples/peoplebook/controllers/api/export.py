"""``GET /api/people.csv``: the user's book as a spreadsheet download."""

from __future__ import annotations

import csv
import io
import typing as t

import sqlalchemy as sa

from erlen import Response
from erlen.auth import current_user
from erlen.auth import login_required

from ...extensions import db
from ...models import Person
from . import bp

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: t.Any) -> str:
    """Text a spreadsheet shows as text: a leading ``=``/``+``/``-``/``@``
    would make it a formula (CSV injection), so it gets a ``'`` in front."""
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


@bp.get("/people.csv")
@login_required
def export_csv() -> Response:
    rows = db.session.execute(
        sa.select(Person.id, Person.name, Person.email, Person.age)
        .where(Person.owner_id == current_user.id)
        .order_by(Person.id)
    ).all()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["id", "name", "email", "age"])
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={
            "Content-Disposition": 'attachment; filename="people.csv"',
            "Cache-Control": "private, no-store",
        },
    )
