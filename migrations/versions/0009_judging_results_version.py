"""judging: results_version of a round (the key of the computed-results cache)

Revision ID: 0009_judging_results_version
Revises: 0008_accounts_sessions
Create Date: 2026-11-29 21:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009_judging_results_version'
down_revision = '0008_accounts_sessions'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('judging_rounds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('results_version', sa.Integer(), nullable=False, server_default='0'))


def downgrade():
    with op.batch_alter_table('judging_rounds', schema=None) as batch_op:
        batch_op.drop_column('results_version')
