"""``/admin``: Flask-Admin, unchanged, in erlen's compat mode (optional).

Flask-Admin is a Flask extension; erlen runs it as it is once compat mode is
on (``import flask`` then gives erlen).  It is not a dependency of erlen:
install it without its Flask requirement (``scripts/example`` does)::

    pip install --no-deps flask-admin==2.2.1 && pip install wtforms

Only users with ``is_admin`` get in (``python -m peoplebook make-admin
EMAIL``); anonymous visitors go to the login page, other users get 403.
The admin's forms are ``erlen.forms`` forms, so they carry the same CSRF
token as the rest of the app and pass ``CSRFProtect``.
"""

from __future__ import annotations

import importlib.util

from erlen import Erlen


def available() -> bool:
    return importlib.util.find_spec("flask_admin") is not None


def init_admin(app: Erlen) -> bool:
    """Mount the admin when ``ADMIN`` allows it and Flask-Admin is there."""
    wanted = app.config.get("ADMIN")
    if wanted is False or (wanted is None and not available()):
        return False
    import erlen.compat

    erlen.compat.install()  # before Flask-Admin's first ``import flask``
    from ._admin_views import mount

    mount(app)
    return True
