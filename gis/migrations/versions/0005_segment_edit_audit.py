"""Audit the state rows written by segment edits (``POST /segments/{id}/states``, source
``edit``): who, when, and the row, like every other write of the API. Imports and samples
write history rows by the hundred thousand and are recorded by their import run instead, so
the trigger fires only for edits.

Revision ID: 0005_edit_audit
Revises: 0004_tiles
Create Date: 2026-11-27
"""

from alembic import op

revision = "0005_edit_audit"
down_revision = "0004_tiles"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the trigger segment_states_audit (edits only)."""
    op.execute("CREATE TRIGGER segment_states_audit AFTER INSERT ON segment_states FOR EACH ROW"
               " WHEN (NEW.source = 'edit') EXECUTE FUNCTION audit_row()")


def downgrade() -> None:
    """Drop the trigger."""
    op.execute("DROP TRIGGER IF EXISTS segment_states_audit ON segment_states")
