"""CMDB: configuration items, their MACs and relationships

Revision ID: 0006
Revises: 0004
"""

from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0004'  # scan profiles (0005) will land after 0008
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('cis',
    sa.Column('id', _ID, nullable=False),
    sa.Column('ci_class', sa.String(length=32), nullable=False),
    sa.Column('asset_tag', sa.String(length=255), nullable=True),
    sa.Column('name', sa.String(length=255), nullable=True),
    sa.Column('serial', sa.String(length=255), nullable=True),
    sa.Column('vendor', sa.String(length=255), nullable=True),
    sa.Column('model', sa.String(length=255), nullable=True),
    sa.Column('hostname', sa.String(length=255), nullable=True),
    sa.Column('fqdn', sa.String(length=255), nullable=True),
    sa.Column('smbios_uuid', sa.String(length=36), nullable=True),
    sa.Column('ip', sa.String(length=64), nullable=True),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('assigned_user', sa.String(length=255), nullable=True),
    sa.Column('department', sa.String(length=255), nullable=True),
    sa.Column('location', sa.String(length=255), nullable=True),
    sa.Column('cost', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('purchase_date', sa.Date(), nullable=True),
    sa.Column('po_number', sa.String(length=255), nullable=True),
    sa.Column('supplier', sa.String(length=255), nullable=True),
    sa.Column('warranty_end', sa.Date(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('import_batch', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cis')),
    sa.UniqueConstraint('asset_tag', name=op.f('uq_cis_asset_tag'))
    )
    with op.batch_alter_table('cis', schema=None) as batch_op:
        batch_op.create_index('ix_cis_fqdn', ['fqdn'], unique=False)
        batch_op.create_index('ix_cis_hostname', ['hostname'], unique=False)
        batch_op.create_index('ix_cis_serial', ['serial'], unique=False)
        batch_op.create_index('ix_cis_smbios_uuid', ['smbios_uuid'], unique=False)
        batch_op.create_index(batch_op.f('ix_cis_status'), ['status'], unique=False)

    op.create_table('ci_macs',
    sa.Column('id', _ID, nullable=False),
    sa.Column('ci_id', _ID, nullable=False),
    sa.Column('mac', sa.String(length=17), nullable=False),
    sa.ForeignKeyConstraint(['ci_id'], ['cis.id'], name=op.f('fk_ci_macs_ci_id_cis'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ci_macs')),
    sa.UniqueConstraint('ci_id', 'mac', name=op.f('uq_ci_macs_ci_id'))
    )
    with op.batch_alter_table('ci_macs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ci_macs_ci_id'), ['ci_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ci_macs_mac'), ['mac'], unique=False)

    op.create_table('ci_relationships',
    sa.Column('id', _ID, nullable=False),
    sa.Column('ci_id', _ID, nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('target_ci_id', _ID, nullable=True),
    sa.Column('target', sa.String(length=255), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=True),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ci_id'], ['cis.id'], name=op.f('fk_ci_relationships_ci_id_cis'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['target_ci_id'], ['cis.id'], name=op.f('fk_ci_relationships_target_ci_id_cis'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ci_relationships')),
    sa.UniqueConstraint('ci_id', 'kind', 'target_ci_id', 'target', name=op.f('uq_ci_relationships_ci_id'))
    )
    with op.batch_alter_table('ci_relationships', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ci_relationships_ci_id'), ['ci_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ci_relationships_target_ci_id'), ['target_ci_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('ci_relationships', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ci_relationships_target_ci_id'))
        batch_op.drop_index(batch_op.f('ix_ci_relationships_ci_id'))
    op.drop_table('ci_relationships')

    with op.batch_alter_table('ci_macs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ci_macs_mac'))
        batch_op.drop_index(batch_op.f('ix_ci_macs_ci_id'))
    op.drop_table('ci_macs')

    with op.batch_alter_table('cis', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cis_status'))
        batch_op.drop_index('ix_cis_smbios_uuid')
        batch_op.drop_index('ix_cis_serial')
        batch_op.drop_index('ix_cis_hostname')
        batch_op.drop_index('ix_cis_fqdn')
    op.drop_table('cis')
