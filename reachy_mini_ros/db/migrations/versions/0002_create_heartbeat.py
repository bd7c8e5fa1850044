"""Create the one-row heartbeat table that the health check writes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 00:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the table with its single row."""
    table = op.create_table(
        "heartbeat",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("time", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_heartbeat")),
    )
    op.bulk_insert(table, [{"id": 1, "time": 0.0}])


def downgrade() -> None:
    """Drop the table."""
    op.drop_table("heartbeat")
