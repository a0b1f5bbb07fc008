"""Users, audit log, checklist catalogue, campaigns, visits, photos, violations, penalties,
placement-change reports, and row-level security per operator.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from alembic import op

from gis.migrations import run_sql_file

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TABLES = (
    "placement_reports", "penalty_violations", "penalty_decisions", "violations", "photos",
    "inspection_results", "inspections", "campaign_inspectors", "campaign_operators",
    "campaign_communes", "campaigns", "checklist_items", "checklist_versions", "audit_log",
    "api_tokens", "users",
)
AUDITED_ELSEWHERE = ("undergrounding_plans", "plan_routes", "operators")


def upgrade() -> None:
    """Create the inspection schema from the frozen SQL file."""
    run_sql_file("0003_inspections.sql")


def downgrade() -> None:
    """Drop what 0003 created (the data in these tables is lost)."""
    with op.get_bind().connection.dbapi_connection.cursor() as cursor:  # no %-placeholders
        cursor.execute("DO $$ BEGIN EXECUTE format('ALTER DATABASE %I RESET timezone', "
                       "current_database()); END $$")
    for table in AUDITED_ELSEWHERE:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_audit ON {table}")
    for table in ("cable_routes", "cable_segments", "operators", "structures", "segment_states",
                  "undergrounding_plans", "structure_sharers", "plan_routes"):
        op.execute(f"DROP POLICY IF EXISTS operator_scope ON {table}")
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    for table in TABLES:
        op.execute(f"DROP TABLE IF EXISTS {table} CASCADE")
    for function in ("penalty_violations_same_operator()", "refuse_change()", "audit_row()",
                     "telecom_gis_plan_has_foreign_routes(integer)",
                     "telecom_gis_campaign_concerns_scope(integer)",
                     "telecom_gis_operator_scope()"):
        op.execute(f"DROP FUNCTION IF EXISTS {function}")
