"""Track releases: which partners may see some state of a track (one indexed lookup).

A read of one track by id first asks this table whether the reader may see the track at
all, so that a hidden track costs what an unknown one does (the same index probes, no
scan of the hidden track's states). Filled from the stored messages.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "track_releases",
        sa.Column("tracker", sa.String(8), nullable=False),
        sa.Column("track_id", sa.String(64), nullable=False),
        sa.Column("partner", sa.String(3), nullable=False),
        sa.PrimaryKeyConstraint("tracker", "track_id", "partner", name="pk_track_releases"),
    )
    op.execute(
        "INSERT INTO track_releases (tracker, track_id, partner)"
        " SELECT DISTINCT s.tracker, s.track_id, r.partner FROM track_states AS s"
        " JOIN message_releases AS r ON r.message_pk = s.message_pk"
        " UNION SELECT DISTINCT s.tracker, s.track_id, '*' FROM track_states AS s"
        " JOIN messages AS m ON m.pk = s.message_pk WHERE m.release_all"
    )


def downgrade() -> None:
    op.drop_table("track_releases")
