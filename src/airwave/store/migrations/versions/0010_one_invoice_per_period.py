"""one invoice per subscription period

Revision ID: 0010
Revises: 0008
Create Date: 2026-11-29 06:50:00

``invoices.cycle_start`` is the start of the regular period an invoice bills, unique per subscription, so two
scheduler runs (several workers or servers) can never invoice the same period twice.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cycle_start", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_invoices_subscription_id"), ["subscription_id", "cycle_start"])


def downgrade() -> None:
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_invoices_subscription_id"), type_="unique")
        batch_op.drop_column("cycle_start")
