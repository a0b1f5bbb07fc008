"""Network, administrative geography, state history, structures, plans, import runs.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from alembic import op

from gis.migrations import run_sql_file

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TABLES = (
    "import_runs", "plan_routes", "undergrounding_plans", "segment_states", "cable_segments",
    "structure_sharers", "structures", "cable_routes", "admin_unit_crosswalk", "admin_units",
    "operators",
)
FUNCTIONS = (
    "segment_states_append_only()", "segment_states_apply()", "cable_segments_initial_state()",
    "cable_segments_before_write()", "telecom_gis_commune_of(geometry)", "telecom_gis_actor()",
)


def upgrade() -> None:
    """Create the schema from the frozen SQL file next to this package."""
    run_sql_file("0001_network.sql")


def downgrade() -> None:
    """Drop everything 0001 created (the extensions stay)."""
    for table in TABLES:
        op.execute(f"DROP TABLE IF EXISTS {table} CASCADE")
    for function in FUNCTIONS:
        op.execute(f"DROP FUNCTION IF EXISTS {function} CASCADE")
