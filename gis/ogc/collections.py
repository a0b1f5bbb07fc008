"""The six feature collections: what each row is, its geometry, its queryable properties and
which date ``datetime`` selects on.

Each collection is an SQL relation aliased ``p`` with the columns ``id`` (the feature id),
``geom`` (EPSG:4326, may be null for a visit without a GPS fix) and one column per property,
named as the property. The relation is written so that PostgreSQL flattens it: conditions on
``p.geom`` reach the spatial index of the underlying table. Segments are built per request by
:func:`gis.ogc.segments.segments_relation` (their state on the ``datetime`` date comes from the
history, by :func:`gis.queries.segments.select_segments`).

Properties are the queryables of Part 3: a filter may name only these (and ``geometry``).
Lengths and distances are metres; times are ``timestamptz`` written in RFC 3339.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Temporal(Enum):
    """What ``datetime`` means for a collection."""

    NONE = "none"            # no date: ``datetime`` is accepted and ignored
    AS_OF = "as_of"          # the state on one date, from the history (segments)
    VALIDITY = "validity"    # versions in force during the instant/interval (communes)
    INSTANT = "instant"      # a timestamp inside the instant/interval (visits, violations)


@dataclass(frozen=True)
class Property:
    """A property of the features: ``type`` is the JSON Schema type (``string``, ``integer``,
    ``number``, ``boolean``), ``format`` ``date`` or ``date-time`` for dates."""

    name: str
    type: str
    description: str
    format: str | None = None
    #: A lower-case code that is never null (check constraints, :mod:`gis.choices`): written
    #: between quotes as it is, without the cost of escaping it.
    code: bool = False

    @property
    def sql(self) -> str:
        """The property's column on the relation ``p``."""
        return f"p.{self.name}"

    @property
    def json_sql(self) -> str:
        """SQL of the property's JSON value text (``null`` when null). Concatenated rather than
        built by ``json_build_object``, which costs twice as much per feature."""
        if self.code:
            return f"""'"' || {self.sql} || '"'"""
        if self.type in ("number", "integer", "boolean"):
            return f"coalesce(({self.sql})::text, 'null')"
        if self.format == "date":  # ISO dates need no escaping
            return f"""coalesce('"' || {self.sql} || '"', 'null')"""
        return f"coalesce(to_json({self.sql})::text, 'null')"


def _string(name: str, description: str) -> Property:
    return Property(name, "string", description)


@dataclass(frozen=True)
class Collection:
    """One collection. ``relation`` is the SQL relation ``p`` (empty for segments, built per
    request); ``spatial`` the condition that the feature meets ``{env}`` (an EPSG:4326 geometry
    SQL); ``temporal_column`` the timestamp (``Temporal.INSTANT``); ``extent_table`` the table and
    column whose estimated extent is the collection's bbox; ``temporal_extent`` SQL of the first
    and last dates (``NULL`` for an open end)."""

    id: str
    title: str
    description: str
    geometry_type: str
    properties: tuple[Property, ...]
    relation: str
    temporal: Temporal
    extent_table: tuple[str, str]
    spatial: str = "ST_Intersects(p.geom, {env})"
    temporal_column: str | None = None
    temporal_extent: str | None = None
    scoped_spatial: str | None = None

    def property(self, name: str) -> Property | None:
        """The property called ``name`` (None when it has none)."""
        return next((p for p in self.properties if p.name == name), None)

    def spatial_sql(self, env: str, *, scoped: bool) -> str:
        """The condition that the feature meets ``env``. ``scoped``: the session is confined
        by row-level security, under which PostgreSQL cannot use the GiST index for PostGIS
        operators (they are not LEAKPROOF); segments are then found by ``tile_segments``
        (migration 0004_tiles: the operator's own segments in an area, through the index)."""
        template = self.scoped_spatial if scoped and self.scoped_spatial else self.spatial
        return template.format(env=env)


SEGMENT_PROPERTIES = (
    _string("route", "Route code."),
    _string("operator", "Operator code (VNPT, VIETTEL ...)."),
    _string("commune_code", "Code of the commune stored for the segment (5 digits)."),
    _string("commune_name", "Name of that commune."),
    Property("placement", "string", "overhead or underground, on the datetime date.",
             code=True),
    Property("placement_kind", "string",
             "aerial, duct, direct_buried or tunnel, on the datetime date.", code=True),
    Property("tidied", "boolean", "Overhead cable tidied (chỉnh trang), on the datetime date."),
    Property("lifecycle", "string", "planned, active or removed, on the datetime date.",
             code=True),
    Property("state_since", "string", "Date of the state row in force.", "date"),
    Property("length_m", "number", "Geodesic length in metres (to the centimetre)."),
)

#: A segment ``{id}`` meeting ``{{env}}``, for sessions under row-level security.
_SCOPED = ("{id} IN (SELECT id FROM tile_segments({{env}}))"
           " AND ST_Intersects(p.geom, {{env}})")

_ROUTES = """(SELECT r.id, g.geom, r.code, r.name, o.code AS operator, r.street, r.tier
       FROM cable_routes r
       LEFT JOIN operators o ON o.id = r.operator_id
       CROSS JOIN LATERAL (SELECT ST_Multi(ST_Collect(cs.geom ORDER BY cs.id)) AS geom
                             FROM cable_segments cs WHERE cs.route_id = r.id) g) p"""

_STRUCTURES = """(SELECT t.id, t.geom, t.kind, t.code, o.code AS owner, t.note
       FROM structures t LEFT JOIN operators o ON o.id = t.owner_id) p"""

_COMMUNES = """(SELECT a.id, a.geom, a.code, a.name, a.valid_from, a.valid_to,
            parent.code AS parent_code
       FROM admin_units a LEFT JOIN admin_units parent ON parent.id = a.parent_id
      WHERE a.level = 'commune') p"""

_VISITS = """(SELECT i.id, i.position AS geom, i.segment_id, o.code AS operator,
            u.username AS inspector, c.code AS campaign, i.visited_at, i.placement,
            i.position_accuracy_m, i.snapped_distance_m, i.photos_expected, i.corrects_id
       FROM inspections i
       LEFT JOIN operators o ON o.id = i.operator_id
       LEFT JOIN users u ON u.id = i.inspector_id
       LEFT JOIN campaigns c ON c.id = i.campaign_id) p"""

_VIOLATIONS = """(SELECT v.id, sg.geom, v.segment_id, v.inspection_id, o.code AS operator,
            ci.code AS item, ci.severity, v.found_at, v.due_on, v.state,
            v.remediation_reported_at, v.closed_at
       FROM violations v
       JOIN cable_segments sg ON sg.id = v.segment_id
       JOIN checklist_items ci ON ci.id = v.item_id
       LEFT JOIN operators o ON o.id = v.operator_id) p"""

COLLECTIONS: dict[str, Collection] = {c.id: c for c in (
    Collection(
        "segments", "Cable segments",
        "Cable segments with their placement, tidy state and lifecycle on the datetime date "
        "(default today, Vietnam time), from the dated state history.",
        "LineString", SEGMENT_PROPERTIES, "", Temporal.AS_OF, ("cable_segments", "geom"),
        temporal_extent="SELECT min(effective_date), NULL::date FROM segment_states",
        scoped_spatial=_SCOPED.format(id="p.id")),
    Collection(
        "routes", "Cable routes",
        "Cable routes; the geometry is the collection of the route's segments.",
        "MultiLineString",
        (_string("code", "Route code."), _string("name", "Route name."),
         _string("operator", "Operator code."), _string("street", "Street."),
         _string("tier", "trunk, intermediate or drop.")),
        _ROUTES, Temporal.NONE, ("cable_segments", "geom"),
        spatial="EXISTS (SELECT 1 FROM cable_segments cs"
                " WHERE cs.route_id = p.id AND ST_Intersects(cs.geom, {env}))",
        scoped_spatial="EXISTS (SELECT 1 FROM tile_segments({env}) cs"
                       " WHERE cs.route_id = p.id AND ST_Intersects(cs.geom, {env}))"),
    Collection(
        "structures", "Structures",
        "Poles, manholes and cabinets, with their owner.", "Point",
        (_string("kind", "pole, manhole or cabinet."), _string("code", "Structure code."),
         _string("owner", "Owner's operator code."), _string("note", "Note.")),
        _STRUCTURES, Temporal.NONE, ("structures", "geom")),
    Collection(
        "communes", "Communes",
        "Communes (every version; datetime picks those in force), valid_to exclusive.",
        "MultiPolygon",
        (_string("code", "Official commune code (5 digits)."), _string("name", "Name."),
         Property("valid_from", "string", "First day in force.", "date"),
         Property("valid_to", "string", "First day no longer in force (null: in force).",
                  "date"),
         _string("parent_code", "Code of the parent unit.")),
        _COMMUNES, Temporal.VALIDITY, ("admin_units", "geom"),
        temporal_extent="SELECT min(valid_from), NULL::date FROM admin_units"
                        " WHERE level = 'commune'"),
    Collection(
        "visits", "Inspection visits",
        "Inspection visits at their GPS fix (null geometry without one); datetime selects "
        "by the time of the visit.", "Point",
        (Property("segment_id", "integer", "The segment visited."),
         _string("operator", "Operator code of the segment."),
         _string("inspector", "Username of the inspector."),
         _string("campaign", "Campaign code."),
         Property("visited_at", "string", "Time of the visit.", "date-time"),
         _string("placement", "Placement seen: overhead or underground."),
         Property("position_accuracy_m", "number", "GPS accuracy, metres."),
         Property("snapped_distance_m", "number", "Distance from the fix to the segment, m."),
         Property("photos_expected", "integer", "Photos announced with the visit."),
         Property("corrects_id", "integer", "The visit this one corrects.")),
        _VISITS, Temporal.INSTANT, ("inspections", "position"),
        temporal_column="p.visited_at",
        temporal_extent="SELECT min(visited_at), max(visited_at) FROM inspections"),
    Collection(
        "violations", "Violations",
        "Violations on the geometry of their segment; datetime selects by the time found.",
        "LineString",
        (Property("segment_id", "integer", "The segment."),
         Property("inspection_id", "integer", "The visit that found it."),
         _string("operator", "Operator code."),
         _string("item", "Checklist item code."),
         _string("severity", "minor, major or critical."),
         Property("found_at", "string", "When it was found.", "date-time"),
         Property("due_on", "string", "Remediation deadline.", "date"),
         _string("state", "open, remediation_reported, closed or withdrawn."),
         Property("remediation_reported_at", "string", "When remediation was reported.",
                  "date-time"),
         Property("closed_at", "string", "When it was closed or withdrawn.", "date-time")),
        _VIOLATIONS, Temporal.INSTANT, ("cable_segments", "geom"),
        temporal_column="p.found_at",
        temporal_extent="SELECT min(found_at), max(found_at) FROM violations",
        scoped_spatial=_SCOPED.format(id="p.segment_id")),
)}
