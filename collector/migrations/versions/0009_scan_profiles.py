"""scan profiles (ranges, interface, schedule, encrypted SNMP credentials) and their agents

Revision ID: 0009
Revises: 0008
"""

from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('scan_profiles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('ranges', sa.JSON(), nullable=False),
    sa.Column('interface', sa.String(length=15), nullable=False),
    sa.Column('allow_public', sa.Boolean(), nullable=False),
    sa.Column('max_addresses', sa.Integer(), nullable=False),
    sa.Column('interval_s', sa.Integer(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('credentials_token', sa.LargeBinary(), nullable=True),
    sa.Column('credentials_summary', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_report_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_report_by', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scan_profiles')),
    sa.UniqueConstraint('name', name=op.f('uq_scan_profiles_name'))
    )
    op.create_table('scan_profile_agents',
    sa.Column('profile_id', sa.Integer(), nullable=False),
    sa.Column('agent_id', sa.String(length=36), nullable=False),
    sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_scan_profile_agents_agent_id_agents'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['profile_id'], ['scan_profiles.id'],
                            name=op.f('fk_scan_profile_agents_profile_id_scan_profiles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('profile_id', 'agent_id', name=op.f('pk_scan_profile_agents'))
    )
    with op.batch_alter_table('scan_profile_agents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scan_profile_agents_agent_id'), ['agent_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('scan_profile_agents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scan_profile_agents_agent_id'))
    op.drop_table('scan_profile_agents')
    op.drop_table('scan_profiles')
