"""events public categories

Revision ID: 0007_events_public
Revises: 0006_exports
Create Date: 2026-11-29 17:30:00.000000

Which guest categories people may pick themselves on the public registration form (the others —
invited guests, press — are given by organisers, the check-in desk or a guest import). Existing
events get the default, "Thí sinh" and "Khách tham quan".
"""
from alembic import op
import sqlalchemy as sa

import app.types  # noqa: F401  (custom column types used below)


# revision identifiers, used by Alembic.
revision = '0007_events_public'
down_revision = '0006_exports'
branch_labels = None
depends_on = None

DEFAULT_PUBLIC_CATEGORIES = ["Thí sinh", "Khách tham quan"]


def upgrade():
    # Added as nullable, filled, then made NOT NULL: existing rows need a value first. The batch
    # form lets SQLite (which cannot ALTER a column) rebuild the table for the last step.
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('public_categories', sa.JSON(), nullable=True))
    events = sa.table('events', sa.column('public_categories', sa.JSON()))
    op.execute(events.update().values(public_categories=DEFAULT_PUBLIC_CATEGORIES))
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.alter_column('public_categories', existing_type=sa.JSON(), nullable=False)


def downgrade():
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_column('public_categories')
