"""foreign agents (issue 15): sites with a shared secret, and agents.protocol, foreign_device_id,
site_id, superseded_by/_at (a machine that changed agents keeps one asset)

Revision ID: 0028
Revises: 0027
"""

from alembic import op
import sqlalchemy as sa


revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('foreign_sites',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('secret_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_foreign_sites')),
    sa.UniqueConstraint('name', name=op.f('uq_foreign_sites_name')),
    sa.UniqueConstraint('secret_hash', name=op.f('uq_foreign_sites_secret_hash'))
    )
    with op.batch_alter_table('agents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('protocol', sa.String(length=16), server_default='stocktake', nullable=False))
        batch_op.add_column(sa.Column('foreign_device_id', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('site_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('superseded_by', sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column('superseded_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_agents_site_id'), ['site_id'], unique=False)
        batch_op.create_unique_constraint('uq_agents_protocol_device', ['protocol', 'foreign_device_id'])
        batch_op.create_foreign_key(batch_op.f('fk_agents_site_id_foreign_sites'), 'foreign_sites', ['site_id'], ['id'],
                                    ondelete='RESTRICT')


def downgrade() -> None:
    with op.batch_alter_table('agents', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_agents_site_id_foreign_sites'), type_='foreignkey')
        batch_op.drop_constraint('uq_agents_protocol_device', type_='unique')
        batch_op.drop_index(batch_op.f('ix_agents_site_id'))
        batch_op.drop_column('superseded_at')
        batch_op.drop_column('superseded_by')
        batch_op.drop_column('site_id')
        batch_op.drop_column('foreign_device_id')
        batch_op.drop_column('protocol')
    op.drop_table('foreign_sites')
