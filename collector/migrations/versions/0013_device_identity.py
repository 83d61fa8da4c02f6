"""devices: identity_key, the MAC-less identity of a device (serial, sysName + sysObjectID, scoped IP)

Devices without a MAC were looked up by IP alone, across every site. Existing MAC-less rows
get the key the ingest would give them now (IP scoped to the agent that last saw them: the
scan profile is not recorded on the device); a key two rows would share is given to the
older row only, and the other keeps NULL (the duplicates the old lookup made).

Revision ID: 0013
Revises: 0012
"""

from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('identity_key', sa.String(length=255), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_devices_identity_key'), ['identity_key'])
    _backfill()


def _backfill() -> None:
    connection = op.get_bind()
    devices = sa.table('devices', sa.column('id'), sa.column('mac'), sa.column('ip'), sa.column('serial'),
                       sa.column('vendor'), sa.column('sys_name'), sa.column('sys_object_id'),
                       sa.column('last_seen_by'), sa.column('identity_key'))
    rows = connection.execute(sa.select(devices).where(devices.c.mac.is_(None)).order_by(devices.c.id)).all()
    taken, updates = set(), []
    for row in rows:
        key = _key(row)
        if key and len(key) <= 255 and key not in taken:
            taken.add(key)
            updates.append({'b_id': row.id, 'key': key})
    if updates:
        connection.execute(devices.update().where(devices.c.id == sa.bindparam('b_id'))
                           .values(identity_key=sa.bindparam('key')), updates)


def _key(row) -> str | None:
    # The rules of collector/ingest/device_identity.py as of this revision (serials are stored normalised).
    if row.serial:
        return f"serial:{(row.vendor or '').strip().lower()}:{row.serial}"
    if row.sys_name and row.sys_object_id:
        return f"snmp:{row.sys_object_id.strip()}:{row.sys_name.strip().lower()}"
    if row.ip:
        return f"ip:agent:{row.last_seen_by}:{row.ip}"
    return None


def downgrade() -> None:
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_devices_identity_key'), type_='unique')
        batch_op.drop_column('identity_key')
