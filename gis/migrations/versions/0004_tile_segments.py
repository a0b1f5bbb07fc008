"""tile_segments(area): an operator user's segments in a tile's area, through the GiST index
(row-level security keeps PostGIS operators from using it); see the SQL file.

Revision ID: 0004_tiles
Revises: 0004_import
Create Date: 2026-11-27
"""

from alembic import op

from gis.migrations import run_sql_file

revision = "0004_tiles"
down_revision = "0004_import"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create tile_segments(geometry)."""
    run_sql_file("0004_tile_segments.sql")


def downgrade() -> None:
    """Drop tile_segments(geometry)."""
    op.execute("DROP FUNCTION IF EXISTS tile_segments(geometry)")
