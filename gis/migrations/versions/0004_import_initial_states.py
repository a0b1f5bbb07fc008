"""A new segment's first history row skips the apply trigger's per-segment UPDATE.

Revision ID: 0004_import
Revises: 0003
Create Date: 2026-11-27
"""

from gis.migrations import run_sql_file

revision = "0004_import"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Replace cable_segments_initial_state() and segment_states_apply() (same rows written)."""
    run_sql_file("0004_import_initial_states.sql")


def downgrade() -> None:
    """Restore 0002's segment_states_apply(), which applies every row again (the setting the
    initial-state trigger still sets is then read by nobody)."""
    run_sql_file("0002_plan_safe_state_trigger.sql")
