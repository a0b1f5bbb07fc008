"""Tile addresses (XYZ, WebMercatorQuad) and the zoom bands that decide what a tile holds."""

from __future__ import annotations

from dataclasses import dataclass

from gis.errors import FieldIssue, invalid_fields

#: Deepest zoom served (a unit of a z22 tile is 2 mm: finer is pointless for cable).
MAX_ZOOM = 22


@dataclass(frozen=True)
class Band:
    """How tiles of zooms ``min_zoom``..``max_zoom`` are built: one feature per segment or one
    aggregate per operator x class (``aggregate``), the tile's grid (``extent`` units a side)
    and ``buffer`` (units drawn beyond each edge), and whether geometry is transformed to
    EPSG:3857 (``exact``) or mapped linearly from EPSG:4326 (see :mod:`gis.tiles`)."""

    min_zoom: int
    max_zoom: int
    aggregate: bool
    extent: int
    buffer: int
    exact: bool

    @property
    def margin(self) -> float:
        """The buffer as a share of the tile's side (``ST_TileEnvelope``'s ``margin``)."""
        return self.buffer / self.extent


#: The zoom bands, documented in :mod:`gis.tiles`.
BANDS = (
    Band(0, 9, aggregate=True, extent=256, buffer=4, exact=True),
    Band(10, 11, aggregate=True, extent=512, buffer=8, exact=False),
    Band(12, 13, aggregate=True, extent=1024, buffer=16, exact=False),
    Band(14, MAX_ZOOM, aggregate=False, extent=4096, buffer=64, exact=False),
)


@dataclass(frozen=True)
class TileCoord:
    """A tile: zoom ``z`` (0..:data:`MAX_ZOOM`), column ``x`` and row ``y`` (0..2^z - 1, row 0
    at the north). :meth:`checked` names the bad parameter."""

    z: int
    x: int
    y: int

    @classmethod
    def checked(cls, z: int, x: int, y: int) -> TileCoord:
        """The tile ``z/x/y``; ValidationFailed naming ``z``, ``x`` and/or ``y`` when outside
        the grid."""
        if not 0 <= z <= MAX_ZOOM:
            raise invalid_fields([FieldIssue("z", f"zoom must lie in 0..{MAX_ZOOM}, not {z}")])
        side = 1 << z
        issues = [FieldIssue(name, f"{name} must lie in 0..{side - 1} at zoom {z}, not {value}")
                  for name, value in (("x", x), ("y", y)) if not 0 <= value < side]
        if issues:
            raise invalid_fields(issues)
        return cls(z, x, y)

    @property
    def band(self) -> Band:
        """The zoom band of this tile."""
        return next(b for b in BANDS if b.min_zoom <= self.z <= b.max_zoom)

    def params(self) -> dict[str, int | float]:
        """Bound parameters ``:z, :x, :y`` and ``:margin`` of the tile queries."""
        return {"z": self.z, "x": self.x, "y": self.y, "margin": self.band.margin}
