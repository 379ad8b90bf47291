"""client binding per plan

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 07:45:00

``plans.client_binding`` (none | ip | asn) says how a replay of a session's URLs from another client is met;
each playback session records the binding it started with (``playback_sessions.client_binding``) and, for
ASN binding, the starting address's autonomous system (``playback_sessions.client_asn``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.add_column(sa.Column("client_binding", sa.String(length=8), server_default="none", nullable=False))
    with op.batch_alter_table("playback_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("client_binding", sa.String(length=8), server_default="none", nullable=False))
        batch_op.add_column(sa.Column("client_asn", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("playback_sessions", schema=None) as batch_op:
        batch_op.drop_column("client_asn")
        batch_op.drop_column("client_binding")
    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.drop_column("client_binding")
