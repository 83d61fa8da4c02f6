"""stored report times later than the clock brought back to it (issue 16, defect 8)

Before the collector refused report times ahead of its clock, one report dated 2099 was
stored as is and, ordering after every later report, froze its asset ("historical" from
then on), a device's sighting, a profile's last report. Data only: every such time later
than the moment of the upgrade becomes that moment, so the next report orders after it.

Revision ID: 0012
Revises: 0011
"""

from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

# Every stored time the collector compares with a newer report's.
_ORDERING_TIMES = {
    'observations': ('collected_at', 'last_collected_at'),
    'devices': ('first_seen_at', 'last_seen_at', 'page_count_at', 'port_seen_at'),
    'scan_profiles': ('last_report_at',),
    'agents': ('last_success_at',),
}


def upgrade() -> None:
    now = datetime.now(timezone.utc)
    if op.get_bind().dialect.name == 'sqlite':
        now = now.replace(tzinfo=None)  # stored naive in UTC, as collector.models.base.UtcDateTime does
    for table_name, columns in _ORDERING_TIMES.items():
        for column in columns:
            table = sa.table(table_name, sa.column(column, sa.DateTime(timezone=True)))
            op.execute(table.update().where(table.c[column] > now).values({column: now}))


def downgrade() -> None:
    pass  # the future times are not worth restoring
