"""erlen.db: SQLAlchemy 2 and Alembic, plugged in like a Flask extension.

``db = SQLAlchemy(app)`` gives models, a per-context session and pagination;
``Migrate(app, db)`` adds the ``erlen db`` commands.
"""

from .extension import SQLAlchemy as SQLAlchemy
from .migrate import Migrate as Migrate
from .model import Model as Model
from .pagination import Pagination as Pagination
from .pagination import QueryPagination as QueryPagination
from .pagination import SelectPagination as SelectPagination
from .query import Query as Query
from .session import Session as Session

__all__ = [
    "Migrate",
    "Model",
    "Pagination",
    "Query",
    "QueryPagination",
    "SQLAlchemy",
    "SelectPagination",
    "Session",
]
