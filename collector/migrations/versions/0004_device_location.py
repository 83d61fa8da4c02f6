"""devices: the switch port a device was last learnt on

Revision ID: 0004
Revises: 0003
"""

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('switch_device_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True))
        batch_op.add_column(sa.Column('switch_port', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('port_seen_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_devices_switch_device_id'), ['switch_device_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_devices_switch_device_id_devices'), 'devices',
                                    ['switch_device_id'], ['id'], ondelete='SET NULL')


def downgrade() -> None:
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_devices_switch_device_id_devices'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_devices_switch_device_id'))
        batch_op.drop_column('port_seen_at')
        batch_op.drop_column('switch_port')
        batch_op.drop_column('switch_device_id')
