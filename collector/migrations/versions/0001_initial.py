"""initial schema: agents, enrollment, observations, assets, software

Revision ID: 0001
Revises: 
Create Date: 2026-11-28 02:22:03.362787
"""

from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('name', name=op.f('uq_api_tokens_name')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    op.create_table('enrollment_secrets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('secret_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('max_uses', sa.Integer(), nullable=True),
    sa.Column('use_count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_enrollment_secrets')),
    sa.UniqueConstraint('name', name=op.f('uq_enrollment_secrets_name')),
    sa.UniqueConstraint('secret_hash', name=op.f('uq_enrollment_secrets_secret_hash'))
    )
    op.create_table('software',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('key', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('version', sa.String(length=255), nullable=True),
    sa.Column('publisher', sa.String(length=255), nullable=True),
    sa.Column('arch', sa.String(length=64), nullable=True),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_software')),
    sa.UniqueConstraint('key', name=op.f('uq_software_key'))
    )
    with op.batch_alter_table('software', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_software_name'), ['name'], unique=False)

    op.create_table('agents',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('node_key_hash', sa.String(length=64), nullable=False),
    sa.Column('hostname', sa.String(length=255), nullable=False),
    sa.Column('platform', sa.String(length=64), nullable=True),
    sa.Column('agent_version', sa.String(length=64), nullable=True),
    sa.Column('enrollment_secret_id', sa.Integer(), nullable=True),
    sa.Column('enrolled_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('key_issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_content_hash', sa.String(length=64), nullable=True),
    sa.Column('reports_dropped', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['enrollment_secret_id'], ['enrollment_secrets.id'], name=op.f('fk_agents_enrollment_secret_id_enrollment_secrets'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agents')),
    sa.UniqueConstraint('node_key_hash', name=op.f('uq_agents_node_key_hash'))
    )
    op.create_table('assets',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('agent_id', sa.String(length=36), nullable=True),
    sa.Column('hostname', sa.String(length=255), nullable=False),
    sa.Column('fqdn', sa.String(length=255), nullable=True),
    sa.Column('domain', sa.String(length=255), nullable=True),
    sa.Column('smbios_uuid', sa.String(length=36), nullable=True),
    sa.Column('machine_id', sa.String(length=64), nullable=True),
    sa.Column('serial', sa.String(length=255), nullable=True),
    sa.Column('vendor', sa.String(length=255), nullable=True),
    sa.Column('model', sa.String(length=255), nullable=True),
    sa.Column('chassis_type', sa.String(length=255), nullable=True),
    sa.Column('asset_tag', sa.String(length=255), nullable=True),
    sa.Column('bios_vendor', sa.String(length=255), nullable=True),
    sa.Column('bios_version', sa.String(length=255), nullable=True),
    sa.Column('bios_date', sa.String(length=255), nullable=True),
    sa.Column('os_name', sa.String(length=255), nullable=True),
    sa.Column('os_version', sa.String(length=255), nullable=True),
    sa.Column('os_build', sa.String(length=255), nullable=True),
    sa.Column('kernel', sa.String(length=255), nullable=True),
    sa.Column('arch', sa.String(length=64), nullable=True),
    sa.Column('os_install_date', sa.DateTime(timezone=True), nullable=True),
    sa.Column('boot_time', sa.DateTime(timezone=True), nullable=True),
    sa.Column('timezone', sa.String(length=64), nullable=True),
    sa.Column('cpu_model', sa.String(length=255), nullable=True),
    sa.Column('cpu_sockets', sa.Integer(), nullable=True),
    sa.Column('cpu_cores', sa.Integer(), nullable=True),
    sa.Column('cpu_threads', sa.Integer(), nullable=True),
    sa.Column('memory_bytes', sa.BigInteger(), nullable=True),
    sa.Column('memory_modules', sa.JSON(), nullable=True),
    sa.Column('logged_in_users', sa.JSON(), nullable=True),
    sa.Column('primary_user', sa.String(length=255), nullable=True),
    sa.Column('probe_errors', sa.JSON(), nullable=True),
    sa.Column('software_count', sa.Integer(), nullable=False),
    sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('observation_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_assets_agent_id_agents'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assets')),
    sa.UniqueConstraint('agent_id', name=op.f('uq_assets_agent_id'))
    )
    with op.batch_alter_table('assets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assets_hostname'), ['hostname'], unique=False)
        batch_op.create_index(batch_op.f('ix_assets_last_seen_at'), ['last_seen_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_assets_serial'), ['serial'], unique=False)
        batch_op.create_index(batch_op.f('ix_assets_smbios_uuid'), ['smbios_uuid'], unique=False)

    op.create_table('observations',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('agent_id', sa.String(length=36), nullable=True),
    sa.Column('asset_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('schema_version', sa.Integer(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('report_id', sa.String(length=36), nullable=False),
    sa.Column('collected_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_report_id', sa.String(length=36), nullable=False),
    sa.Column('last_collected_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('report_count', sa.Integer(), nullable=False),
    sa.Column('payload', sa.LargeBinary(), nullable=True),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_observations_agent_id_agents'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['asset_id'], ['assets.id'], name=op.f('fk_observations_asset_id_assets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_observations'))
    )
    with op.batch_alter_table('observations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_observations_agent_id'), ['agent_id'], unique=False)
        batch_op.create_index('ix_observations_asset_id_id', ['asset_id', 'id'], unique=False)

    op.create_table('asset_disks',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('asset_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('model', sa.String(length=255), nullable=True),
    sa.Column('serial', sa.String(length=255), nullable=True),
    sa.Column('size_bytes', sa.BigInteger(), nullable=True),
    sa.Column('type', sa.String(length=64), nullable=True),
    sa.Column('observation_id', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['asset_id'], ['assets.id'], name=op.f('fk_asset_disks_asset_id_assets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_asset_disks'))
    )
    with op.batch_alter_table('asset_disks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_asset_disks_asset_id'), ['asset_id'], unique=False)

    op.create_table('asset_nics',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('asset_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('mac', sa.String(length=17), nullable=True),
    sa.Column('ipv4', sa.JSON(), nullable=False),
    sa.Column('ipv6', sa.JSON(), nullable=False),
    sa.Column('speed_mbps', sa.Integer(), nullable=True),
    sa.Column('virtual', sa.Boolean(), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=True),
    sa.Column('locally_administered', sa.Boolean(), nullable=False),
    sa.Column('observation_id', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['asset_id'], ['assets.id'], name=op.f('fk_asset_nics_asset_id_assets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_asset_nics'))
    )
    with op.batch_alter_table('asset_nics', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_asset_nics_asset_id'), ['asset_id'], unique=False)
        batch_op.create_index('ix_asset_nics_mac', ['mac'], unique=False)

    op.create_table('asset_software',
    sa.Column('asset_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('software_id', sa.BigInteger(), nullable=False),
    sa.Column('install_date', sa.DateTime(timezone=True), nullable=True),
    sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('observation_id', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['asset_id'], ['assets.id'], name=op.f('fk_asset_software_asset_id_assets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('asset_id', 'software_id', name=op.f('pk_asset_software'))
    )
    with op.batch_alter_table('asset_software', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_asset_software_software_id'), ['software_id'], unique=False)

    op.create_table('report_receipts',
    sa.Column('report_id', sa.String(length=36), nullable=False),
    sa.Column('agent_id', sa.String(length=36), nullable=True),
    sa.Column('observation_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_report_receipts_agent_id_agents'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['observation_id'], ['observations.id'], name=op.f('fk_report_receipts_observation_id_observations'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('report_id', name=op.f('pk_report_receipts'))
    )
    with op.batch_alter_table('report_receipts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_receipts_agent_id'), ['agent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_report_receipts_received_at'), ['received_at'], unique=False)

    if op.get_bind().dialect.name == 'postgresql':
        # Payloads are zlib-compressed already: store them out of line without pglz retrying.
        op.execute('ALTER TABLE observations ALTER COLUMN payload SET STORAGE EXTERNAL')

    # assets and observations reference each other: add this key once both exist.
    with op.batch_alter_table('assets') as batch_op:
        batch_op.create_foreign_key(
            op.f('fk_assets_observation_id_observations'), 'observations', ['observation_id'], ['id'], ondelete='SET NULL'
        )


def downgrade() -> None:
    with op.batch_alter_table('assets') as batch_op:
        batch_op.drop_constraint(op.f('fk_assets_observation_id_observations'), type_='foreignkey')

    with op.batch_alter_table('report_receipts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_receipts_received_at'))
        batch_op.drop_index(batch_op.f('ix_report_receipts_agent_id'))

    op.drop_table('report_receipts')
    with op.batch_alter_table('asset_software', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_asset_software_software_id'))

    op.drop_table('asset_software')
    with op.batch_alter_table('asset_nics', schema=None) as batch_op:
        batch_op.drop_index('ix_asset_nics_mac')
        batch_op.drop_index(batch_op.f('ix_asset_nics_asset_id'))

    op.drop_table('asset_nics')
    with op.batch_alter_table('asset_disks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_asset_disks_asset_id'))

    op.drop_table('asset_disks')
    with op.batch_alter_table('observations', schema=None) as batch_op:
        batch_op.drop_index('ix_observations_asset_id_id')
        batch_op.drop_index(batch_op.f('ix_observations_agent_id'))

    op.drop_table('observations')
    with op.batch_alter_table('assets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assets_smbios_uuid'))
        batch_op.drop_index(batch_op.f('ix_assets_serial'))
        batch_op.drop_index(batch_op.f('ix_assets_last_seen_at'))
        batch_op.drop_index(batch_op.f('ix_assets_hostname'))

    op.drop_table('assets')
    op.drop_table('agents')
    with op.batch_alter_table('software', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_software_name'))

    op.drop_table('software')
    op.drop_table('enrollment_secrets')
    op.drop_table('api_tokens')

