"""global search: lower(column) indexes on the fields the search box looks in (issue 14, item 2)

PostgreSQL gets ``text_pattern_ops`` so prefix LIKE uses the index under any collation;
SQLite gets the plain expression index, which its range scans use.

Revision ID: 0023
Revises: 0022
"""

from alembic import op


revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None

# (table, column): the index is ix_<table>_<column>_search, as collector/models/search.py names it.
_FIELDS = (
    ('assets', 'hostname'), ('assets', 'serial'), ('assets', 'asset_tag'), ('assets', 'primary_user'),
    ('asset_nics', 'mac'),
    ('cis', 'asset_tag'), ('cis', 'name'), ('cis', 'hostname'), ('cis', 'serial'), ('cis', 'ip'),
    ('cis', 'assigned_user'), ('ci_macs', 'mac'),
    ('devices', 'sys_name'), ('devices', 'serial'), ('devices', 'ip'), ('devices', 'mac'),
    ('software', 'name'),
)


# A NIC's first two IPv4 addresses (a JSON list; ->> needs SQLite 3.38 or later).
_NIC_SLOTS = (0, 1)


def upgrade() -> None:
    ops = ' text_pattern_ops' if op.get_bind().dialect.name == 'postgresql' else ''
    for table, column in _FIELDS:
        op.execute(f'CREATE INDEX ix_{table}_{column}_search ON {table} (lower({column}){ops})')
    for slot in _NIC_SLOTS:
        op.execute(f'CREATE INDEX ix_asset_nics_ipv4_{slot}_search ON asset_nics ((ipv4 ->> {slot}){ops})')


def downgrade() -> None:
    for slot in _NIC_SLOTS:
        op.execute(f'DROP INDEX ix_asset_nics_ipv4_{slot}_search')
    for table, column in _FIELDS:
        op.execute(f'DROP INDEX ix_{table}_{column}_search')
