"""Alembic environment: migrations run in-process on the connection the service hands over."""

from __future__ import annotations

from alembic import context

from tracklayer.service.db import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
