"""devices found by scanners

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 04:13:46.802505
"""

from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('devices',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('mac', sa.String(length=17), nullable=True),
    sa.Column('ip', sa.String(length=64), nullable=True),
    sa.Column('sys_name', sa.String(length=255), nullable=True),
    sa.Column('sys_descr', sa.Text(), nullable=True),
    sa.Column('sys_object_id', sa.String(length=255), nullable=True),
    sa.Column('serial', sa.String(length=255), nullable=True),
    sa.Column('model', sa.String(length=255), nullable=True),
    sa.Column('vendor', sa.String(length=255), nullable=True),
    sa.Column('oui_vendor', sa.String(length=255), nullable=True),
    sa.Column('device_type', sa.String(length=64), nullable=True),
    sa.Column('found_by', sa.JSON(), nullable=False),
    sa.Column('asset_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('link_reason', sa.String(length=255), nullable=True),
    sa.Column('last_seen_by', sa.String(length=36), nullable=True),
    sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('observation_id', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['asset_id'], ['assets.id'], name=op.f('fk_devices_asset_id_assets'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_devices')),
    sa.UniqueConstraint('mac', name=op.f('uq_devices_mac'))
    )
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_devices_asset_id'), ['asset_id'], unique=False)
        batch_op.create_index('ix_devices_ip', ['ip'], unique=False)
        batch_op.create_index(batch_op.f('ix_devices_last_seen_at'), ['last_seen_at'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_devices_last_seen_at'))
        batch_op.drop_index('ix_devices_ip')
        batch_op.drop_index(batch_op.f('ix_devices_asset_id'))

    op.drop_table('devices')

