"""``GET /api/stats``: a report written as one raw SQL query.

Plain SQL that SQLite, PostgreSQL and MySQL all run; values are bound
parameters, never formatted into the text.
"""

from __future__ import annotations

import typing as t

import sqlalchemy as sa

from erlen.auth import current_user
from erlen.auth import login_required

from ...extensions import db
from . import bp

_BRACKETS = sa.text(
    """
    SELECT CASE
             WHEN age IS NULL THEN 'unknown'
             WHEN age < 18 THEN '0-17'
             WHEN age < 40 THEN '18-39'
             WHEN age < 65 THEN '40-64'
             ELSE '65+'
           END AS bracket,
           COUNT(*) AS people,
           AVG(age) AS average_age
      FROM people
     WHERE owner_id = :owner
     GROUP BY bracket
     ORDER BY bracket
    """
)

_ORDER = ("0-17", "18-39", "40-64", "65+", "unknown")


@bp.get("/stats")
@login_required
def stats() -> t.Any:
    rows = db.session.execute(_BRACKETS, {"owner": current_user.id}).all()
    found = {
        row.bracket: {
            "people": int(row.people),
            "average_age": None
            if row.average_age is None
            else round(float(row.average_age), 1),
        }
        for row in rows
    }
    brackets = [
        {"bracket": name, **found.get(name, {"people": 0, "average_age": None})}
        for name in _ORDER
    ]
    return {"total": sum(b["people"] for b in brackets), "brackets": brackets}
