"""sam: products, normalised titles, admin rules, entitlements, allocations, position runs and their evidence

Software licence compliance (collector/sam/). Nothing is backfilled: the first normalisation and
position run fill these tables from the software already stored.

Revision ID: 0020
Revises: 0019
"""

from alembic import op
import sqlalchemy as sa


revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('sam_position_runs',
    sa.Column('id', _ID, nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('as_of', sa.DateTime(timezone=True), nullable=False),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sam_position_runs'))
    )
    with op.batch_alter_table('sam_position_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sam_position_runs_started_at'), ['started_at'], unique=False)

    op.create_table('sam_products',
    sa.Column('id', _ID, nullable=False),
    sa.Column('publisher', sa.String(length=255), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('edition', sa.String(length=255), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('licensable', sa.Boolean(), nullable=False),
    sa.Column('metrics', sa.JSON(), nullable=False),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sam_products')),
    sa.UniqueConstraint('publisher', 'name', 'edition', name='uq_sam_products_identity')
    )
    with op.batch_alter_table('sam_products', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sam_products_name'), ['name'], unique=False)

    op.create_table('sam_admin_rules',
    sa.Column('id', _ID, nullable=False),
    sa.Column('rule_id', sa.String(length=64), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('definition', sa.JSON(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_sam_admin_rules_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sam_admin_rules')),
    sa.UniqueConstraint('rule_id', name=op.f('uq_sam_admin_rules_rule_id'))
    )
    op.create_table('sam_consumption',
    sa.Column('id', _ID, nullable=False),
    sa.Column('run_id', _ID, nullable=False),
    sa.Column('product_id', sa.BigInteger(), nullable=False),
    sa.Column('metric', sa.String(length=32), nullable=False),
    sa.Column('ci_id', sa.BigInteger(), nullable=True),
    sa.Column('asset_id', sa.BigInteger(), nullable=True),
    sa.Column('device', sa.String(length=255), nullable=True),
    sa.Column('user', sa.String(length=255), nullable=True),
    sa.Column('version', sa.String(length=255), nullable=True),
    sa.Column('units', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('observation_id', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['run_id'], ['sam_position_runs.id'], name=op.f('fk_sam_consumption_run_id_sam_position_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sam_consumption'))
    )
    with op.batch_alter_table('sam_consumption', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sam_consumption_ci_id'), ['ci_id'], unique=False)
        batch_op.create_index('ix_sam_consumption_run_product', ['run_id', 'product_id', 'metric'], unique=False)

    op.create_table('sam_entitlements',
    sa.Column('id', _ID, nullable=False),
    sa.Column('product_id', _ID, nullable=False),
    sa.Column('version_from', sa.String(length=64), nullable=True),
    sa.Column('version_to', sa.String(length=64), nullable=True),
    sa.Column('downgrade_rights', sa.Boolean(), nullable=False),
    sa.Column('metric', sa.String(length=32), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('core_factor', sa.Numeric(precision=6, scale=3), nullable=True),
    sa.Column('min_cores_per_processor', sa.Integer(), nullable=True),
    sa.Column('min_cores_per_vm', sa.Integer(), nullable=True),
    sa.Column('term', sa.String(length=16), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=True),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('unit_cost', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('po_number', sa.String(length=255), nullable=True),
    sa.Column('vendor', sa.String(length=255), nullable=True),
    sa.Column('contract_id', sa.String(length=255), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('import_batch', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['sam_products.id'], name=op.f('fk_sam_entitlements_product_id_sam_products'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sam_entitlements'))
    )
    with op.batch_alter_table('sam_entitlements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sam_entitlements_end_date'), ['end_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_sam_entitlements_product_id'), ['product_id'], unique=False)

    op.create_table('sam_positions',
    sa.Column('id', _ID, nullable=False),
    sa.Column('run_id', _ID, nullable=False),
    sa.Column('product_id', _ID, nullable=False),
    sa.Column('metric', sa.String(length=32), nullable=False),
    sa.Column('entitled', sa.Integer(), nullable=True),
    sa.Column('consumed', sa.Integer(), nullable=False),
    sa.Column('allocated', sa.Integer(), nullable=False),
    sa.Column('balance', sa.Integer(), nullable=True),
    sa.Column('unit_cost', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('shortfall_cost', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('surplus_cost', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('explanation', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['sam_products.id'], name=op.f('fk_sam_positions_product_id_sam_products'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['sam_position_runs.id'], name=op.f('fk_sam_positions_run_id_sam_position_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sam_positions')),
    sa.UniqueConstraint('run_id', 'product_id', 'metric', name='uq_sam_positions_run_product_metric')
    )
    with op.batch_alter_table('sam_positions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sam_positions_product_id'), ['product_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sam_positions_run_id'), ['run_id'], unique=False)

    op.create_table('sam_reclaim_candidates',
    sa.Column('id', _ID, nullable=False),
    sa.Column('run_id', _ID, nullable=False),
    sa.Column('product_id', sa.BigInteger(), nullable=False),
    sa.Column('ci_id', sa.BigInteger(), nullable=True),
    sa.Column('asset_id', sa.BigInteger(), nullable=False),
    sa.Column('device', sa.String(length=255), nullable=True),
    sa.Column('user', sa.String(length=255), nullable=True),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('days_unused', sa.Integer(), nullable=True),
    sa.Column('freed_cost', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['sam_position_runs.id'], name=op.f('fk_sam_reclaim_candidates_run_id_sam_position_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sam_reclaim_candidates'))
    )
    with op.batch_alter_table('sam_reclaim_candidates', schema=None) as batch_op:
        batch_op.create_index('ix_sam_reclaim_run_product', ['run_id', 'product_id'], unique=False)

    op.create_table('sam_software_products',
    sa.Column('software_id', sa.BigInteger(), nullable=False),
    sa.Column('product_id', _ID, nullable=True),
    sa.Column('version', sa.String(length=255), nullable=True),
    sa.Column('major_version', sa.String(length=64), nullable=True),
    sa.Column('rule_id', sa.String(length=64), nullable=True),
    sa.Column('ruleset', sa.String(length=32), nullable=False),
    sa.Column('normalised_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['sam_products.id'], name=op.f('fk_sam_software_products_product_id_sam_products'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('software_id', name=op.f('pk_sam_software_products'))
    )
    with op.batch_alter_table('sam_software_products', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sam_software_products_product_id'), ['product_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sam_software_products_ruleset'), ['ruleset'], unique=False)

    op.create_table('sam_suite_components',
    sa.Column('suite_product_id', _ID, nullable=False),
    sa.Column('component_product_id', _ID, nullable=False),
    sa.ForeignKeyConstraint(['component_product_id'], ['sam_products.id'], name=op.f('fk_sam_suite_components_component_product_id_sam_products'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['suite_product_id'], ['sam_products.id'], name=op.f('fk_sam_suite_components_suite_product_id_sam_products'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('suite_product_id', 'component_product_id', name=op.f('pk_sam_suite_components'))
    )
    with op.batch_alter_table('sam_suite_components', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sam_suite_components_component_product_id'), ['component_product_id'], unique=False)

    op.create_table('sam_entitlement_allocations',
    sa.Column('id', _ID, nullable=False),
    sa.Column('entitlement_id', _ID, nullable=False),
    sa.Column('target_kind', sa.String(length=16), nullable=False),
    sa.Column('target', sa.String(length=255), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['entitlement_id'], ['sam_entitlements.id'], name=op.f('fk_sam_entitlement_allocations_entitlement_id_sam_entitlements'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sam_entitlement_allocations')),
    sa.UniqueConstraint('entitlement_id', 'target_kind', 'target', name='uq_sam_allocations_target')
    )
    with op.batch_alter_table('sam_entitlement_allocations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sam_entitlement_allocations_entitlement_id'), ['entitlement_id'], unique=False)

    op.create_table('sam_renewal_items',
    sa.Column('id', _ID, nullable=False),
    sa.Column('entitlement_id', _ID, nullable=False),
    sa.Column('threshold_days', sa.Integer(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=False),
    sa.Column('raised_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('workflow_instance_id', sa.BigInteger(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['entitlement_id'], ['sam_entitlements.id'], name=op.f('fk_sam_renewal_items_entitlement_id_sam_entitlements'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sam_renewal_items')),
    sa.UniqueConstraint('entitlement_id', 'threshold_days', name='uq_sam_renewal_items_threshold')
    )
    with op.batch_alter_table('sam_renewal_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sam_renewal_items_entitlement_id'), ['entitlement_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('sam_renewal_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sam_renewal_items_entitlement_id'))

    op.drop_table('sam_renewal_items')
    with op.batch_alter_table('sam_entitlement_allocations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sam_entitlement_allocations_entitlement_id'))

    op.drop_table('sam_entitlement_allocations')
    with op.batch_alter_table('sam_suite_components', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sam_suite_components_component_product_id'))

    op.drop_table('sam_suite_components')
    with op.batch_alter_table('sam_software_products', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sam_software_products_ruleset'))
        batch_op.drop_index(batch_op.f('ix_sam_software_products_product_id'))

    op.drop_table('sam_software_products')
    with op.batch_alter_table('sam_reclaim_candidates', schema=None) as batch_op:
        batch_op.drop_index('ix_sam_reclaim_run_product')

    op.drop_table('sam_reclaim_candidates')
    with op.batch_alter_table('sam_positions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sam_positions_run_id'))
        batch_op.drop_index(batch_op.f('ix_sam_positions_product_id'))

    op.drop_table('sam_positions')
    with op.batch_alter_table('sam_entitlements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sam_entitlements_product_id'))
        batch_op.drop_index(batch_op.f('ix_sam_entitlements_end_date'))

    op.drop_table('sam_entitlements')
    with op.batch_alter_table('sam_consumption', schema=None) as batch_op:
        batch_op.drop_index('ix_sam_consumption_run_product')
        batch_op.drop_index(batch_op.f('ix_sam_consumption_ci_id'))

    op.drop_table('sam_consumption')
    op.drop_table('sam_admin_rules')
    with op.batch_alter_table('sam_products', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sam_products_name'))

    op.drop_table('sam_products')
    with op.batch_alter_table('sam_position_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sam_position_runs_started_at'))

    op.drop_table('sam_position_runs')
