"""``SQLAlchemy``: engines per app, a session per app context, ``db.Model``.

The extension holds no app: engines live per app (created in
:meth:`SQLAlchemy.init_app`), and ``db.session`` is a ``scoped_session`` keyed
by the active context, removed when that context tears down.  Removing closes
the session, which rolls back what was not committed and returns the
connection to the pool — so a view that raises loses nothing already
committed and leaks no connection.  A closed session nobody else holds,
with its settings untouched, is kept and handed to the next context instead
of a new one (:mod:`erlen.db.recycle`).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import typing as t
import weakref

import sqlalchemy as sa
import sqlalchemy.event as sa_event
import sqlalchemy.exc as sa_exc
import sqlalchemy.orm as sa_orm

from ..exceptions import abort
from ..globals import _cv_context
from ..globals import current_app
from . import unavailable as _unavailable
from .keyrange import cannot_match
from .keyrange import key_cannot_exist
from .model import Model
from .model import make_declarative_base
from .pagination import Pagination
from .pagination import SelectPagination
from .query import Query
from .recycle import Recycler
from .session import Session

if t.TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from ..app import Erlen

_T = t.TypeVar("_T")
_ALL = "__all__"

_NO_CONTEXT = (
    "Working outside of application context: db.session needs one. Use"
    " 'with app.app_context():' (views and CLI commands have one already)."
)


def _scope_key() -> int:
    """The session scope: one per app context (a request shares its app's).

    ``g`` is the object an app context and the requests nested in it share,
    so its identity names the scope.
    """
    try:
        ctx = _cv_context.get()
    except LookupError:
        raise RuntimeError(_NO_CONTEXT) from None
    return id(ctx.g)


class SQLAlchemy:
    """The SQLAlchemy integration: ``db = SQLAlchemy(app)``.

    :param metadata: the default bind's MetaData (naming conventions go here).
    :param session_options: passed to ``sessionmaker``.
    :param engine_options: defaults for every engine, below the app config.
    :param model_class: a mixin class, or a ``DeclarativeBase`` subclass, that
        ``db.Model`` is built from.
    :param query_class: the class of ``Model.query``.
    """

    def __init__(
        self,
        app: Erlen | None = None,
        *,
        metadata: sa.MetaData | None = None,
        session_options: dict[str, t.Any] | None = None,
        query_class: type[Query[t.Any]] = Query,
        model_class: type[t.Any] = Model,
        engine_options: dict[str, t.Any] | None = None,
        add_models_to_shell: bool = True,
    ) -> None:
        self.Query = query_class
        self.metadatas: dict[str | None, sa.MetaData] = {}
        if isinstance(model_class, type) and issubclass(
            model_class, sa_orm.DeclarativeBase
        ):
            metadata = model_class.metadata
        if metadata is not None:
            metadata.info["bind_key"] = None
            self.metadatas[None] = metadata
        self._make_metadata(None)
        self._engine_options = dict(engine_options or {})
        self._add_models_to_shell = add_models_to_shell
        self._app_engines: weakref.WeakKeyDictionary[
            Erlen, dict[str | None, Engine]
        ] = weakref.WeakKeyDictionary()
        self._app_recyclers: weakref.WeakKeyDictionary[Erlen, Recycler] = (
            weakref.WeakKeyDictionary()
        )
        options = dict(session_options or {})
        options.setdefault("class_", Session)
        options.setdefault("query_cls", query_class)
        self._sessionmaker = sa_orm.sessionmaker(**options)
        self.session: sa_orm.scoped_session[Session] = sa_orm.scoped_session(
            t.cast("sa_orm.sessionmaker[Session]", self._make_session),
            scopefunc=_scope_key,
        )
        self.Model: type[t.Any] = make_declarative_base(
            self, model_class, self.metadatas[None]
        )
        if app is not None:
            self.init_app(app)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {len(self.metadatas)} bind(s)>"

    # -- setup ------------------------------------------------------------------

    def init_app(self, app: Erlen) -> None:
        """Create the app's engines from its config and hook the teardown."""
        if "sqlalchemy" in app.extensions:
            raise RuntimeError(
                "A 'SQLAlchemy' instance is already registered on this app."
                " Use the existing 'db' instead of creating a new one."
            )
        app.extensions["sqlalchemy"] = self
        app.teardown_appcontext(self._teardown_session)
        _unavailable.register(app, self)
        if self._add_models_to_shell:
            app.shell_context_processor(self._shell_context)
        config = app.config
        uri = config.setdefault("SQLALCHEMY_DATABASE_URI", None)
        binds: dict[str | None, t.Any] = dict(config.setdefault("SQLALCHEMY_BINDS", {}))
        common = {
            **self._engine_options,
            **config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {}),
        }
        if config.setdefault("SQLALCHEMY_ECHO", False):
            common["echo"] = common["echo_pool"] = True
        if uri is None and None not in binds:
            uri = "sqlite:///app.db"  # in the instance folder
        if uri is not None:
            binds[None] = uri
        engines = self._app_engines.setdefault(app, {})
        self._app_recyclers[app] = Recycler()
        for key, value in binds.items():
            options = (
                {**common, **value}
                if isinstance(value, dict)
                else {**common, "url": value}
            )
            self._make_metadata(key)
            engines[key] = self._make_engine(app, key, options)

    def _make_metadata(self, bind_key: str | None) -> sa.MetaData:
        """The MetaData of a bind, created on first use (naming conventions
        copied from the default one)."""
        metadata = self.metadatas.get(bind_key)
        if metadata is None:
            default = self.metadatas.get(None)
            naming = default.naming_convention if default is not None else None
            metadata = (
                sa.MetaData(naming_convention=naming) if naming else sa.MetaData()
            )
            metadata.info["bind_key"] = bind_key
            self.metadatas[bind_key] = metadata
        return metadata

    def _make_engine(
        self, app: Erlen, bind_key: str | None, options: dict[str, t.Any]
    ) -> Engine:
        url = apply_driver_defaults(app, options)
        engine = sa.create_engine(url, **options)
        if url.get_backend_name() == "sqlite":
            hook = (
                _sqlite_memory_pragmas
                if _sqlite_in_memory(url)
                else _sqlite_file_pragmas
            )
            sa_event.listen(engine, "connect", hook)
        return engine

    # -- per app ----------------------------------------------------------------

    @property
    def engines(self) -> t.Mapping[str | None, Engine]:
        """The current app's engines by bind key (None is the default)."""
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        try:
            return self._app_engines[app]
        except KeyError:
            raise RuntimeError(
                "The current app is not registered with this 'SQLAlchemy'"
                " instance. Did you forget to call 'init_app'?"
            ) from None

    @property
    def engine(self) -> Engine:
        """The current app's default engine."""
        return self.engines[None]

    @property
    def metadata(self) -> sa.MetaData:
        """The default bind's MetaData (``db.Model.metadata``)."""
        return self.metadatas[None]

    def _make_session(self, **kwargs: t.Any) -> Session:
        engines = self.engines
        if kwargs:  # db.session(bind=...) : a one-off, never reused
            kwargs.setdefault("bind", engines.get(None))
            return t.cast(Session, self._sessionmaker(engines=engines, **kwargs))
        app = _cv_context.get().app
        recycler = self._app_recyclers.get(app)
        if recycler is not None:
            session = recycler.take()
            if session is not None:
                return t.cast(Session, session)
        session = self._sessionmaker(engines=engines, bind=engines.get(None))
        if recycler is not None:
            recycler.made(session)
        return t.cast(Session, session)

    def _teardown_session(self, exc: BaseException | None) -> None:
        """Close the context's session: rollback, connection back to the
        pool, objects detached; a session left as new is kept for reuse."""
        # PERF: a context that never made g never made a session either.
        ctx = _cv_context.get(None)
        if ctx is None or ctx._g is None:
            return
        try:
            self._close_context_session(ctx)
        except (sa_exc.OperationalError, sa_exc.InterfaceError) as e:
            # The connection died after the view was done (a database
            # restart): the rollback at close cannot reach the server, which
            # drops the transaction itself; SQLAlchemy has invalidated the
            # connection.  The response is already made: not a 500.
            if not _unavailable.is_unavailable(e):
                raise
            ctx.app.logger.warning(
                "Database connection lost at teardown: %s", _unavailable.summary(e)
            )

    def _close_context_session(self, ctx: t.Any) -> None:
        registry = self.session.registry
        sessions = getattr(registry, "registry", None)
        recycler = self._app_recyclers.get(ctx.app)
        if recycler is None or type(sessions) is not dict:
            self.session.remove()
            return
        key = id(ctx._g)  # _scope_key's
        if key in sessions:
            # Out of the registry first: a failed close leaves no session
            # behind for a later context whose g reuses the id.  Passed on
            # directly, so the recycler sees it held by nobody else.
            recycler.close(sessions.pop(key))

    def _shell_context(self) -> dict[str, t.Any]:
        names: dict[str, t.Any] = {"db": self}
        for mapper in self.Model.registry.mappers:
            cls = mapper.class_
            names.setdefault(cls.__name__, cls)
        return names

    # -- schema -----------------------------------------------------------------

    def _for_binds(self, bind_key: str | None | list[str | None], op: str) -> None:
        if bind_key == _ALL:
            keys: list[str | None] = list(self.engines)
        elif bind_key is None or isinstance(bind_key, str):
            keys = [bind_key]
        else:
            keys = list(bind_key)
        engines = self.engines
        for key in keys:
            if key not in engines:
                raise sa_exc.UnboundExecutionError(
                    f"Bind key {key!r} is not in 'SQLALCHEMY_BINDS' config."
                )
            getattr(self._make_metadata(key), op)(bind=engines[key])

    def create_all(self, bind_key: str | None | list[str | None] = _ALL) -> None:
        """Create the tables that do not exist yet (no migrations)."""
        self._for_binds(bind_key, "create_all")

    def drop_all(self, bind_key: str | None | list[str | None] = _ALL) -> None:
        """Drop every table the models define.

        The context's session is closed first: its open transaction would
        hold locks that make the DROP wait forever (PostgreSQL, MariaDB).
        """
        if _cv_context.get(None) is not None:
            self.session.remove()
        self._for_binds(bind_key, "drop_all")

    def reflect(self, bind_key: str | None | list[str | None] = _ALL) -> None:
        """Load the tables that exist in the database into ``db.metadatas``."""
        self._for_binds(bind_key, "reflect")

    def Table(
        self, name: str, *args: t.Any, bind_key: str | None = None, **kw: t.Any
    ) -> sa.Table:
        """``sa.Table`` in the bind's MetaData: ``db.Table("tags", db.Column(...))``."""
        if args and isinstance(args[0], sa.MetaData):
            return sa.Table(name, *args, **kw)
        return sa.Table(name, self._make_metadata(bind_key), *args, **kw)

    @contextlib.contextmanager
    def raw_connection(self, bind_key: str | None = None) -> t.Iterator[t.Any]:
        """The driver's own DB-API connection, from the pool and back to it.

        For code written against the connector (``cursor.execute(sql,
        params)``, the driver's paramstyle).  Commit yourself; anything not
        committed is rolled back when the block ends.
        """
        connection = self.engines[bind_key].raw_connection()
        try:
            yield connection
        finally:
            connection.close()  # back to the pool, after a rollback

    # -- queries ----------------------------------------------------------------

    def get_or_404(
        self, entity: type[_T], ident: t.Any, *, description: str | None = None
    ) -> _T:
        """The row with primary key ``ident``, or a 404.

        An integer key its column cannot hold (past 32 bits for an
        ``Integer`` on PostgreSQL, 64 anywhere) is a 404 without a query:
        ``/items/<int:id>`` with a long id is not a driver error and a 500
        (see :mod:`erlen.db.keyrange`).
        """
        session = self.session()
        # Session.get checks too; this is for a session class of one's own.
        if key_cannot_exist(session, entity, ident):
            abort(404, description=description)
        rv: _T | None = session.get(entity, ident)
        if rv is None:
            abort(404, description=description)
        return rv

    def first_or_404(
        self, statement: sa.Select[t.Any], *, description: str | None = None
    ) -> t.Any:
        """The first result of ``statement``, or a 404 (without a query when
        a ``column == n`` filter names an integer the column cannot hold)."""
        session = self.session()
        if cannot_match(session, statement.whereclause):
            abort(404, description=description)
        rv = session.execute(statement).scalar()
        if rv is None:
            abort(404, description=description)
        return rv

    def one_or_404(
        self, statement: sa.Select[t.Any], *, description: str | None = None
    ) -> t.Any:
        """The only result of ``statement``; none or several is a 404."""
        session = self.session()
        if cannot_match(session, statement.whereclause):
            abort(404, description=description)
        try:
            return session.execute(statement).scalar_one()
        except (sa_exc.NoResultFound, sa_exc.MultipleResultsFound):
            abort(404, description=description)

    def paginate(
        self,
        select: sa.Select[t.Any],
        *,
        page: int | None = None,
        per_page: int | None = None,
        max_per_page: int | None = 100,
        error_out: bool = True,
        count: bool = True,
    ) -> Pagination:
        """One page of ``select``; page and per_page default to the query string."""
        return SelectPagination(
            select=select,
            session=self.session(),
            page=page,
            per_page=per_page,
            max_per_page=max_per_page,
            error_out=error_out,
            count=count,
        )

    def __getattr__(self, name: str) -> t.Any:
        """``db.Column``, ``db.select``, ``db.relationship``...: the names of
        ``sqlalchemy`` and ``sqlalchemy.orm``, without more imports."""
        if not name.startswith("_"):
            for module in (sa, sa_orm):
                if hasattr(module, name):
                    return getattr(module, name)
        raise AttributeError(
            f"{type(self).__name__!r} object has no attribute {name!r}"
        )


# -- engine defaults --------------------------------------------------------------


def _sqlite_in_memory(url: sa.URL) -> bool:
    return url.database in (None, "", ":memory:") or url.query.get("mode") == "memory"


def apply_driver_defaults(app: Erlen, options: dict[str, t.Any]) -> sa.URL:
    """The URL to connect to, with per-backend defaults put into ``options``.

    SQLite: a relative path is in the instance folder; in-memory databases
    share one connection across threads.  MySQL/MariaDB: utf8mb4, recycle
    before the server's idle timeout.  PostgreSQL: psycopg 3.  Every server
    database: pre-ping, so a dropped connection never fails a request.
    """
    url = sa.make_url(options.pop("url"))
    backend = url.get_backend_name()
    if backend == "sqlite":
        if _sqlite_in_memory(url):
            options.setdefault("poolclass", sa.pool.StaticPool)
            # A copy: the dict may be shared by several binds' options.
            connect_args = dict(options.get("connect_args") or {})
            connect_args.setdefault("check_same_thread", False)
            options["connect_args"] = connect_args
        elif not url.query.get("uri") and not os.path.isabs(url.database or ""):
            os.makedirs(app.instance_path, exist_ok=True)
            url = url.set(database=os.path.join(app.instance_path, url.database or ""))
    elif backend in ("mysql", "mariadb"):
        if "+" not in url.drivername:
            have_mysqlclient = importlib.util.find_spec("MySQLdb") is not None
            driver = "mysqldb" if have_mysqlclient else "pymysql"
            url = url.set(drivername=f"{backend}+{driver}")
        if "charset" not in url.query:
            url = url.update_query_dict({"charset": "utf8mb4"})
        options.setdefault("pool_recycle", 3600)
    elif backend == "postgresql":
        if "+" not in url.drivername:
            url = url.set(drivername="postgresql+psycopg")
    if backend != "sqlite":
        # A pooled connection the server dropped (restart, idle cut) is
        # replaced on checkout instead of failing the request.
        options.setdefault("pool_pre_ping", True)
    return url


def _sqlite_file_pragmas(dbapi_connection: t.Any, connection_record: t.Any) -> None:
    """Connect hook: foreign keys on and a WAL journal (readers never block)."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def _sqlite_memory_pragmas(dbapi_connection: t.Any, connection_record: t.Any) -> None:
    """Connect hook for an in-memory database: foreign keys on."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
