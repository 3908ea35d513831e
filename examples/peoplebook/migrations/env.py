"""Alembic's environment for this app, run by the ``erlen db`` commands.

erlen calls it inside the app context: it connects with the app's engine and
compares against the models' metadata.  Options for Alembic's
``context.configure()`` go in ``Migrate(app, db, **options)``; replace the
call below only if you need a different flow.
"""

from alembic import context

from erlen.db.migrate import run_migrations

run_migrations(context)
