"""accounts: server-side sessions (logout ends them) and folded search text of users

Revision ID: 0008_accounts_sessions
Revises: 0007_events_public
Create Date: 2026-11-29 18:00:00

"""
from alembic import op
import sqlalchemy as sa

import app.types  # noqa: F401  (custom column types used below)


# revision identifiers, used by Alembic.
revision = '0008_accounts_sessions'
down_revision = '0007_events_public'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('user_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', app.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', app.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_sessions')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_user_sessions_key_hash'))
    )
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_sessions_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('search_text', sa.String(length=400), nullable=False, server_default=''))

    # Existing accounts get their folded search text now (new writes keep it in step).
    from app.text import fold, phone_search_forms

    conn = op.get_bind()
    users = sa.table('users', sa.column('id'), sa.column('full_name'), sa.column('email'),
                     sa.column('phone'), sa.column('search_text'))
    for row in conn.execute(sa.select(users.c.id, users.c.full_name, users.c.email, users.c.phone)).all():
        text = " | ".join(p for p in (fold(row.full_name), row.email or "", phone_search_forms(row.phone)) if p)
        conn.execute(users.update().where(users.c.id == row.id).values(search_text=text[:400]))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('search_text', server_default=None)


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('search_text')
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_sessions_user_id'))
    op.drop_table('user_sessions')
