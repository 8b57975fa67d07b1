"""Initial schema: partners, messages and their releases, track states, detections, audit.

Revision ID: 0001
Revises:
Create Date: 2026-05-20
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_STATE = ("x", "y", "z", "vx", "vy", "vz")
_DET_REQUIRED = ("los_x", "los_y", "los_z", "sensor_x", "sensor_y", "sensor_z", "sigma_rad")
_DET_OPTIONAL = ("snr", "range_m", "sigma_range_m")


def upgrade() -> None:  # long: a migration states the whole initial schema and never changes
    op.create_table(
        "partners",
        sa.Column("code", sa.String(3), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_ns", sa.BigInteger(), nullable=False),
        sa.Column("token_issued_ns", sa.BigInteger(), nullable=False),
        sa.Column("revoked_ns", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("code", name="pk_partners"),
        sa.UniqueConstraint("token_hash", name="uq_partners_token_hash"),
    )
    op.create_table(
        "messages",
        sa.Column("pk", _BIGINT, autoincrement=True, nullable=False),
        sa.Column("owner", sa.String(3), nullable=False),
        sa.Column("message_id", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("release_all", sa.Boolean(), nullable=False),
        sa.Column("content_sha256", sa.String(64), nullable=False),
        sa.Column("n_records", sa.Integer(), nullable=False),
        sa.Column("received_ns", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["owner"], ["partners.code"], name="fk_messages_owner_partners"),
        sa.PrimaryKeyConstraint("pk", name="pk_messages"),
        sa.UniqueConstraint("owner", "message_id", name="uq_messages_owner_message_id"),
    )
    op.create_table(
        "message_releases",
        sa.Column("message_pk", _BIGINT, nullable=False),
        sa.Column("partner", sa.String(3), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_pk"], ["messages.pk"], name="fk_message_releases_message_pk_messages"
        ),
        sa.PrimaryKeyConstraint("message_pk", "partner", name="pk_message_releases"),
    )
    op.create_index(
        "ix_message_releases_partner_message_pk",
        "message_releases",
        ["partner", "message_pk"],
    )
    op.create_table(
        "track_states",
        sa.Column("pk", _BIGINT, autoincrement=True, nullable=False),
        sa.Column("message_pk", _BIGINT, nullable=False),
        sa.Column("owner", sa.String(3), nullable=False),
        sa.Column("track_id", sa.String(64), nullable=False),
        sa.Column("tracker", sa.String(8), nullable=False),
        sa.Column("time_ns", sa.BigInteger(), nullable=False),
        *(sa.Column(c, sa.Double(), nullable=False) for c in _STATE),
        sa.Column("cov", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_pk"], ["messages.pk"], name="fk_track_states_message_pk_messages"
        ),
        sa.PrimaryKeyConstraint("pk", name="pk_track_states"),
    )
    op.create_index(
        "ix_track_states_tracker_track_id_time_ns",
        "track_states",
        ["tracker", "track_id", "time_ns"],
    )
    op.create_index("ix_track_states_time_ns", "track_states", ["time_ns"])
    op.create_index("ix_track_states_message_pk", "track_states", ["message_pk"])
    op.create_table(
        "detections",
        sa.Column("pk", _BIGINT, autoincrement=True, nullable=False),
        sa.Column("message_pk", _BIGINT, nullable=False),
        sa.Column("owner", sa.String(3), nullable=False),
        sa.Column("det_id", sa.String(64), nullable=False),
        sa.Column("sensor_id", sa.String(64), nullable=False),
        sa.Column("sensor_kind", sa.String(16), nullable=False),
        sa.Column("time_ns", sa.BigInteger(), nullable=False),
        *(sa.Column(c, sa.Double(), nullable=False) for c in _DET_REQUIRED),
        *(sa.Column(c, sa.Double(), nullable=True) for c in _DET_OPTIONAL),
        sa.ForeignKeyConstraint(
            ["message_pk"], ["messages.pk"], name="fk_detections_message_pk_messages"
        ),
        sa.PrimaryKeyConstraint("pk", name="pk_detections"),
    )
    op.create_index("ix_detections_time_ns", "detections", ["time_ns"])
    op.create_index("ix_detections_message_pk", "detections", ["message_pk"])
    op.create_table(
        "audit_log",
        sa.Column("pk", _BIGINT, autoincrement=True, nullable=False),
        sa.Column("time_ns", sa.BigInteger(), nullable=False),
        sa.Column("partner", sa.String(3), nullable=True),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("target", sa.String(300), nullable=False),
        sa.Column("n_records", sa.Integer(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("pk", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_partner_time_ns", "audit_log", ["partner", "time_ns"])


def downgrade() -> None:
    for index, table in [
        ("ix_audit_log_partner_time_ns", "audit_log"),
        ("ix_detections_message_pk", "detections"),
        ("ix_detections_time_ns", "detections"),
        ("ix_track_states_message_pk", "track_states"),
        ("ix_track_states_time_ns", "track_states"),
        ("ix_track_states_tracker_track_id_time_ns", "track_states"),
        ("ix_message_releases_partner_message_pk", "message_releases"),
    ]:
        op.drop_index(index, table_name=table)
    for table in ("audit_log", "detections", "track_states", "message_releases", "messages"):
        op.drop_table(table)
    op.drop_table("partners")
