"""The batteries app (issue 12) as a Django user writes it: contrib.auth with
its session login, the ORM, signed-cookie sessions, a persistent connection.

Django configures once per process, so both databases are declared up front
and a router sends each app's queries to its own alias (one assignment per
request, in :class:`_App`).
"""

from __future__ import annotations

from typing import Any

import django
from django.conf import settings

from bench.apps.common import ITEM_JSON
from bench.apps.common import SECRET_KEY
from bench.apps.common import USER_JSON
from bench.apps.dbsetup import Database

_ALIAS = ["default"]


class Router:
    """Every query of the running app goes to that app's database."""

    def db_for_read(self, model: Any, **hints: Any) -> str:
        return _ALIAS[0]

    db_for_write = db_for_read

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return True


def _configure() -> None:
    """Settings for both databases; connections open only when used."""
    if settings.configured:
        return
    from bench.apps import dbsetup

    databases = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(dbsetup.sqlite_path("django")),
            "CONN_MAX_AGE": None,  # persistent, like a pool
        },
        "pg": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": dbsetup.PG_DB,
            "USER": dbsetup.PG_USER,
            "HOST": dbsetup.PG_HOST,
            "PORT": str(dbsetup.PG_PORT),
            "OPTIONS": {"options": f"-csearch_path={dbsetup.pg_schema('django')}"},
            "CONN_MAX_AGE": None,
        },
    }
    settings.configure(
        DEBUG=False,
        SECRET_KEY=SECRET_KEY,
        ALLOWED_HOSTS=["*"],
        ROOT_URLCONF=__name__,
        INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth"],
        MIDDLEWARE=[
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
        ],
        SESSION_ENGINE="django.contrib.sessions.backends.signed_cookies",
        SESSION_COOKIE_NAME="session",
        DATABASES=databases,
        DATABASE_ROUTERS=[f"{__name__}.Router"],
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        USE_TZ=True,
        DEFAULT_AUTO_FIELD="django.db.models.AutoField",
    )
    django.setup()


urlpatterns: list[Any] = []
_models: dict[str, Any] = {}


def _item_model() -> Any:
    if "Item" not in _models:
        from django.db import models

        class Item(models.Model):
            name = models.CharField(max_length=80)
            price = models.IntegerField()

            class Meta:
                app_label = "bench"
                db_table = "items"

        _models["Item"] = Item
    return _models["Item"]


def _views() -> None:
    from django.contrib.auth import get_user_model
    from django.contrib.auth import login
    from django.http import HttpResponse
    from django.http import JsonResponse
    from django.shortcuts import get_object_or_404
    from django.urls import path
    from django.views.decorators.http import require_POST

    User = get_user_model()
    Item = _item_model()

    @require_POST
    def login_view(request: Any, id: int) -> Any:
        login(request, get_object_or_404(User, pk=id))
        return HttpResponse("ok")

    def me(request: Any) -> Any:
        user = request.user
        if not user.is_authenticated:
            return HttpResponse("Unauthorized", status=401)
        return JsonResponse(
            {"id": user.id, "username": user.username, "email": user.email}
        )

    def item(request: Any, id: int) -> Any:
        item = get_object_or_404(Item, pk=id)
        return JsonResponse({"id": item.id, "name": item.name, "price": item.price})

    urlpatterns[:] = [
        path("login/<int:id>", login_view),
        path("me", me),
        path("items/<int:id>", item),
    ]


class _App:
    """The WSGI handler, pointed at its own database alias for each call."""

    def __init__(self, alias: str, handler: Any) -> None:
        self.alias = alias
        self.handler = handler

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        _ALIAS[0] = self.alias
        return self.handler(environ, start_response)


def create_app(database: Database) -> Any:
    """The Django app on ``database``, migrated, with one user and one item."""
    _configure()
    alias = "default" if database.backend == "sqlite" else "pg"
    from django.contrib.auth import get_user_model
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.management import call_command
    from django.db import connections

    if not urlpatterns:
        _views()
    _ALIAS[0] = alias
    call_command("migrate", database=alias, verbosity=0, interactive=False)
    Item = _item_model()
    with connections[alias].schema_editor() as editor:
        editor.create_model(Item)
    user = get_user_model()(
        id=USER_JSON["id"], username=USER_JSON["username"], email=USER_JSON["email"]
    )
    user.set_password("not-used")
    user.save(using=alias)
    Item.objects.using(alias).create(**ITEM_JSON)
    return _App(alias, WSGIHandler())
