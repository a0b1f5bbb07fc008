"""History trigger plans its UPDATE afresh each statement (no cached nested-loop plan).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from importlib import resources

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _run(name: str) -> None:
    sql = resources.files("gis.migrations").joinpath(f"sql/{name}").read_text("utf-8")
    # Straight to the driver with no parameters, so the '%' of RAISE formats is not a placeholder.
    with op.get_bind().connection.dbapi_connection.cursor() as cursor:
        cursor.execute(sql)


def upgrade() -> None:
    """Replace segment_states_apply() with the EXECUTE + LATERAL version."""
    _run("0002_plan_safe_state_trigger.sql")


def downgrade() -> None:
    """Nothing to undo that matters: 0001's body is equivalent, only slower to plan badly."""
