"""The batteries, created unbound here and bound in ``create_app``.

(CORS is made per app in ``create_app``: its policies come from the config;
so is the optional admin, ``admin.py``.)

Controllers and models import them from this module; a new battery is one
more instance here and one ``init_app`` line.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from erlen.auth import LoginManager
from erlen.csrf import CSRFProtect
from erlen.db import Migrate
from erlen.db import SQLAlchemy
from erlen.mail import Mail

#: The committed Alembic revisions, found from any working folder.
MIGRATIONS = str(Path(__file__).parent / "migrations")

# Named constraints keep migrations portable (SQLite batch mode needs names).
db = SQLAlchemy(
    metadata=sa.MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )
)
migrate = Migrate(db=db, directory=MIGRATIONS)
login_manager = LoginManager()
csrf = CSRFProtect()
mail = Mail()
