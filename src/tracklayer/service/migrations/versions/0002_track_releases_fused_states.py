"""Track releases (which partners may see some state of a track), and stored fused tracks.

A read of one track by id first asks this table whether the reader may see the track at
all, so that a hidden track costs what an unknown one does (the same index probes, no
scan of the hidden track's states). Filled from the stored messages.

Fused states: each partner's system tracks, recorded from its picture with the release
common to their inputs (see ``tracklayer.service.fused_store``).

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

_BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_STATE = ("x", "y", "z", "vx", "vy", "vz")


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

    op.create_table(
        "fused_states",
        sa.Column("pk", _BIGINT, autoincrement=True, nullable=False),
        sa.Column("audience", sa.String(3), nullable=False),
        sa.Column("track_id", sa.String(80), nullable=False),
        sa.Column("time_ns", sa.BigInteger(), nullable=False),
        *(sa.Column(c, sa.Double(), nullable=False) for c in _STATE),
        sa.Column("cov", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("sources", sa.Text(), nullable=False),
        sa.Column("release_all", sa.Boolean(), nullable=False),
        sa.Column("releasable_to", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("pk", name="pk_fused_states"),
        sa.UniqueConstraint(
            "audience", "track_id", "time_ns", name="uq_fused_states_audience_track_id_time_ns"
        ),
    )
    op.create_index("ix_fused_states_audience_time_ns", "fused_states", ["audience", "time_ns"])


def downgrade() -> None:
    op.drop_index("ix_fused_states_audience_time_ns", table_name="fused_states")
    op.drop_table("fused_states")
    op.drop_table("track_releases")
