"""History trigger plans its UPDATE afresh each statement (no cached nested-loop plan).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from gis.migrations import run_sql_file

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Replace segment_states_apply() with the EXECUTE + LATERAL version."""
    run_sql_file("0002_plan_safe_state_trigger.sql")


def downgrade() -> None:
    """Nothing to undo that matters: 0001's body is equivalent, only slower to plan badly."""
