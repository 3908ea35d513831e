"""The JSON API under ``/api``, for a front end on the configured origin.

=================================  ==========================================
``GET /api/session``               who is logged in, and a CSRF token
``GET /api/people``                paginated list (``Link``, ``X-Total-Count``)
``POST /api/people``               201 + ``Location``; 409 duplicate email,
                                   422 invalid fields, 415 not JSON;
                                   ``Idempotency-Key`` makes retries safe
``GET|PUT|PATCH /api/people/<id>`` the person, or a 404 problem
``DELETE /api/people/<id>``        204
``GET /api/people.csv``            the book as a CSV download
``POST /api/people/<id>/avatar``   multipart ``avatar``: PNG/JPEG/GIF/WebP,
                                   ``AVATAR_MAX_BYTES`` at most; 201
``GET|DELETE .../avatar``          the picture; 204
``GET /api/stats``                 counts by age bracket (a raw SQL query)
=================================  ==========================================

Every endpoint but ``/api/session`` needs a login (401 otherwise); errors
are ``application/problem+json``, and a 422 lists every field error.  The
people endpoints are typed (``erlen.api``), so ``/docs`` documents them.
Unsafe methods need the ``X-CSRFToken`` header: a custom header cannot be
sent cross-origin without a CORS preflight, which only ``API_ORIGINS``
pass.  The app-wide form check is switched off here because its https
Referer rule would refuse exactly those allowed front ends.
"""

from __future__ import annotations

import typing as t

from erlen import Blueprint
from erlen import request
from erlen.csrf import ValidationError
from erlen.csrf import validate_csrf
from erlen.jsonapi import JSONErrors
from erlen.jsonapi import json_abort

from ...extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api")
JSONErrors(bp)
csrf.exempt(bp)

_UNSAFE = frozenset(("POST", "PUT", "PATCH", "DELETE"))


@bp.before_request
def _check_csrf_header() -> t.Any:
    if request.method not in _UNSAFE:
        return None
    try:
        validate_csrf(request.headers.get("X-CSRFToken"))
    except ValidationError as e:
        json_abort(400, f"{e}: send the token of GET /api/session as X-CSRFToken.")
    return None


# The endpoints attach themselves to ``bp``.
from . import avatars as avatars  # noqa: E402
from . import export as export  # noqa: E402
from . import people as people  # noqa: E402
from . import session as session  # noqa: E402
from . import stats as stats  # noqa: E402
