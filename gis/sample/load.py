"""Load a generated sample directory into the database, idempotently.

Order: operators (by code), administrative units (by level + code + valid_from, parents
first) and the crosswalk, routes (by code), structures (by source + source_fid) with their
sharers, then the segments through the segment importer (:func:`gis.importers.import_segments`,
keyed on source + source_fid; the database gives each new segment its commune), then segment
ends are linked to the structure within :data:`LINK_TOLERANCE_M` metres, the dated history is
added (only rows not yet present) and the plans (by year + name) with their routes; last, when
the directory has them, the inspection history (:mod:`gis.sample.inspection_load`).

Loading the same directory again changes nothing. Nothing is committed here: the caller owns
the transaction (the CLI uses :func:`gis.db.transaction`).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from pyproj import Geod
from shapely.geometry import shape
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.errors import GisError, NotFoundError
from gis.importers import ImportOptions, import_segments
from gis.progress import ProgressFn, no_progress
from gis.sample import DEMO_SOURCE
from gis.sample.files import find_layer, read_layer
from gis.sample.geography import level_of_code
from gis.sample.inspection_load import has_inspection_history, load_inspection_history
from gis.settings import get_settings

#: A segment end is linked to the nearest structure at most this far away (metres).
LINK_TOLERANCE_M = 1.0
_GEOD = Geod(ellps="WGS84")
#: Rows per statement when writing arrays.
CHUNK = 50_000
REQUIRED_FILES = ("operators.csv", "admin_units.geojson", "routes.csv")

#: Counts per item: rows in the files ("read"), and rows "added", "updated" and "removed".
LoadCounts = dict[str, dict[str, int]]


class SampleDataError(GisError):
    """The sample directory is missing or incomplete."""


def _counts(read: int, added: int = 0, updated: int = 0, removed: int = 0) -> dict[str, int]:
    return {"read": read, "added": added, "updated": updated, "removed": removed}


def _csv(path: Path) -> pd.DataFrame:
    """A sample CSV as text columns ('' for empty cells)."""
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")


def _flag(values: pd.Series) -> list[bool]:
    return [v.strip().lower() == "true" for v in values]


def _dates(values: pd.Series) -> list[date | None]:
    return [date.fromisoformat(v) if v else None for v in values]


def _chunks(n: int):
    for start in range(0, n, CHUNK):
        yield slice(start, min(n, start + CHUNK))


def sample_source(directory: Path) -> str:
    """The ``source`` key of a sample directory (from manifest.json; the demo's if absent)."""
    manifest = directory / "manifest.json"
    if manifest.exists():
        return json.loads(manifest.read_text("utf-8")).get("source", DEMO_SOURCE)
    return DEMO_SOURCE


def load_sample(
    session: Session, directory: Path | str, progress: ProgressFn | None = None
) -> LoadCounts:
    """Load the sample files of ``directory``; return counts per item (see LoadCounts).

    Raises SampleDataError for a missing directory or file, and whatever the segment importer
    raises (ValidationFailed ...) for bad segments. Never commits.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise SampleDataError(f"sample directory {directory} does not exist")
    missing = [f for f in REQUIRED_FILES if not (directory / f).exists()]
    segments_file = find_layer(directory, "segments")
    if segments_file is None:
        missing.append("segments.geojson|gpkg")
    if missing:
        raise SampleDataError(f"{directory} lacks {', '.join(missing)}")
    report = progress or no_progress
    source = sample_source(directory)
    return _load(session, directory, segments_file, source, report)


def _load(session: Session, directory: Path, segments_file: Path, source: str,
          report: ProgressFn) -> LoadCounts:
    """The steps of :func:`load_sample`, in order."""
    counts: LoadCounts = {}
    stage = "loading reference data"
    report(stage, 0, 5)
    counts["operators"] = _load_operators(session, _csv(directory / "operators.csv"))
    report(stage, 1, 5)
    counts["admin_units"], units = _load_units(session, directory / "admin_units.geojson")
    report(stage, 2, 5)
    if (directory / "crosswalk.csv").exists():
        counts["crosswalk"] = _load_crosswalk(session, _csv(directory / "crosswalk.csv"), units)
    report(stage, 3, 5)
    counts["routes"] = _load_routes(session, _csv(directory / "routes.csv"))
    report(stage, 4, 5)
    if structures := find_layer(directory, "structures"):
        counts["structures"], counts["structure_sharers"] = _load_structures(
            session, structures, source)
    report(stage, 5, 5)

    imported = import_segments(session, segments_file, ImportOptions(source=source), report)
    counts["segments"] = _counts(imported.rows_read, imported.inserted, imported.updated)
    report("linking structures", 0, 1)
    counts["segment_links"] = _counts(imported.rows_read, updated=_link_structures(session, source))
    report("linking structures", 1, 1)
    if (directory / "segment_history.csv").exists():
        history = _csv(directory / "segment_history.csv")
        counts["segment_states"] = _load_history(session, history, source, report)
    if (directory / "plans.csv").exists():
        counts["plans"], counts["plan_routes"] = _load_plans(session, _csv(directory / "plans.csv"))
    session.flush()
    if has_inspection_history(directory):
        counts.update(load_inspection_history(session, directory, source, get_settings(),
                                               report))
        session.flush()
    return counts


def _load_operators(session: Session, frame: pd.DataFrame) -> dict[str, int]:
    rows = session.execute(text("""
        INSERT INTO operators AS o (code, name, kind)
        SELECT * FROM unnest(CAST(:codes AS text[]), CAST(:names AS text[]),
                             CAST(:kinds AS text[]))
        ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, kind = EXCLUDED.kind
         WHERE (o.name, o.kind) IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.kind)
        RETURNING (xmax = 0) AS added"""),
        {"codes": frame["code"].tolist(), "names": frame["name"].tolist(),
         "kinds": frame["kind"].tolist()}).scalars().all()
    return _counts(len(frame), sum(rows), len(rows) - sum(rows))


def _load_units(session: Session, path: Path) -> tuple[dict[str, int], dict[tuple, int]]:
    """Upsert unit versions in file order (parents come first); return ids by (code, from)."""
    features = json.loads(path.read_text("utf-8"))["features"]
    ids: dict[tuple[str, date], int] = {}
    added = updated = 0
    for feature in features:
        p = feature["properties"]
        geom = shape(feature["geometry"])
        valid_from = date.fromisoformat(p["valid_from"])
        parent = None
        if p.get("parent_code"):
            key = (p["parent_code"], date.fromisoformat(p["parent_valid_from"]))
            parent = ids.get(key) or _unit_id(session, *key)
        values = {
            "level": p["level"], "code": p["code"], "name": p["name"], "parent": parent,
            "valid_from": valid_from,
            "valid_to": date.fromisoformat(p["valid_to"]) if p.get("valid_to") else None,
            "source": p.get("source"), "wkb": shapely.to_wkb(geom, hex=True),
        }
        found = session.execute(text("""
            SELECT id, (name, parent_id, valid_to, source, geom)
                       IS DISTINCT FROM (:name, :parent, :valid_to, :source,
                                         ST_Multi(ST_GeomFromWKB(decode(:wkb, 'hex'), 4326)))
              FROM admin_units
             WHERE level = :level AND code = :code AND valid_from = :valid_from"""),
            values).first()
        if found is None:
            unit_id = session.execute(text("""
                INSERT INTO admin_units (level, code, name, parent_id, valid_from, valid_to,
                                         source, geom)
                VALUES (:level, :code, :name, :parent, :valid_from, :valid_to, :source,
                        ST_Multi(ST_GeomFromWKB(decode(:wkb, 'hex'), 4326)))
                RETURNING id"""), values).scalar_one()
            added += 1
        else:
            unit_id, changed = found
            if changed:
                session.execute(text("""
                    UPDATE admin_units SET name = :name, parent_id = :parent,
                           valid_to = :valid_to, source = :source,
                           geom = ST_Multi(ST_GeomFromWKB(decode(:wkb, 'hex'), 4326))
                     WHERE id = :id"""), {**values, "id": unit_id})
                updated += 1
        ids[(p["code"], valid_from)] = unit_id
    return _counts(len(features), added, updated), ids


def _unit_id(session: Session, code: str, valid_from: date) -> int:
    unit_id = session.execute(text("""
        SELECT id FROM admin_units
         WHERE level = :level AND code = :code AND valid_from = :valid_from"""),
        {"level": level_of_code(code), "code": code, "valid_from": valid_from}).scalar()
    if unit_id is None:
        raise NotFoundError(f"administrative unit {code} valid from {valid_from} is not loaded")
    return unit_id


def _load_crosswalk(session: Session, frame: pd.DataFrame, units: dict) -> dict[str, int]:
    def ids(codes: pd.Series, starts: pd.Series) -> list[int]:
        return [units.get((c, date.fromisoformat(s))) or _unit_id(session, c,
                                                                  date.fromisoformat(s))
                for c, s in zip(codes, starts, strict=True)]

    rows = session.execute(text("""
        INSERT INTO admin_unit_crosswalk AS x (old_unit_id, new_unit_id, area_share)
        SELECT * FROM unnest(CAST(:old AS integer[]), CAST(:new AS integer[]),
                             CAST(:share AS double precision[]))
        ON CONFLICT (old_unit_id, new_unit_id) DO UPDATE SET area_share = EXCLUDED.area_share
         WHERE x.area_share IS DISTINCT FROM EXCLUDED.area_share
        RETURNING (xmax = 0) AS added"""),
        {"old": ids(frame["old_code"], frame["old_valid_from"]),
         "new": ids(frame["new_code"], frame["new_valid_from"]),
         "share": frame["area_share"].astype(float).tolist()}).scalars().all()
    return _counts(len(frame), sum(rows), len(rows) - sum(rows))


def _load_routes(session: Session, frame: pd.DataFrame) -> dict[str, int]:
    added = updated = 0
    for part in _chunks(len(frame)):
        chunk = frame.iloc[part]
        rows = session.execute(text("""
            INSERT INTO cable_routes AS r (code, name, operator_id, street, tier)
            SELECT i.code, i.name, o.id, i.street, i.tier
              FROM unnest(CAST(:codes AS text[]), CAST(:names AS text[]),
                          CAST(:operators AS text[]), CAST(:streets AS text[]),
                          CAST(:tiers AS text[])) AS i(code, name, operator, street, tier)
              JOIN operators o ON o.code = i.operator
            ON CONFLICT (code) DO UPDATE
               SET name = EXCLUDED.name, operator_id = EXCLUDED.operator_id,
                   street = EXCLUDED.street, tier = EXCLUDED.tier
             WHERE (r.name, r.operator_id, r.street, r.tier) IS DISTINCT FROM
                   (EXCLUDED.name, EXCLUDED.operator_id, EXCLUDED.street, EXCLUDED.tier)
            RETURNING (xmax = 0) AS added"""),
            {"codes": chunk["code"].tolist(), "names": chunk["name"].tolist(),
             "operators": chunk["operator"].tolist(), "streets": chunk["street"].tolist(),
             "tiers": chunk["tier"].tolist()}).scalars().all()
        added += sum(rows)
        updated += len(rows) - sum(rows)
    return _counts(len(frame), added, updated)


def _load_structures(session: Session, path: Path, source: str) -> tuple[dict, dict]:
    """Upsert structures by (source, source_fid), then make their sharers match the file."""
    layer = read_layer(path)
    shared = layer["shared_by"].fillna("").astype(str).str.split(";")
    pairs = pd.DataFrame({"fid": layer["source_fid"].repeat(shared.str.len()),
                          "operator": np.concatenate(shared.to_numpy())})
    pairs = pairs[pairs["operator"] != ""]
    added = updated = 0
    wkb = shapely.to_wkb(layer.geometry.to_numpy(), hex=True)
    for part in _chunks(len(layer)):
        rows = session.execute(text("""
            INSERT INTO structures AS s (kind, code, owner_id, source, source_fid, geom)
            SELECT i.kind, i.code, o.id, :source, i.fid,
                   ST_GeomFromWKB(decode(i.wkb, 'hex'), 4326)
              FROM unnest(CAST(:fids AS text[]), CAST(:kinds AS text[]),
                          CAST(:codes AS text[]), CAST(:owners AS text[]),
                          CAST(:wkb AS text[])) AS i(fid, kind, code, owner, wkb)
              JOIN operators o ON o.code = i.owner
            ON CONFLICT (source, source_fid) DO UPDATE
               SET kind = EXCLUDED.kind, code = EXCLUDED.code, owner_id = EXCLUDED.owner_id,
                   geom = EXCLUDED.geom
             WHERE (s.kind, s.code, s.owner_id, s.geom) IS DISTINCT FROM
                   (EXCLUDED.kind, EXCLUDED.code, EXCLUDED.owner_id, EXCLUDED.geom)
            RETURNING (xmax = 0) AS added"""),
            {"source": source, "fids": layer["source_fid"].iloc[part].tolist(),
             "kinds": layer["kind"].iloc[part].tolist(),
             "codes": layer["code"].iloc[part].tolist(),
             "owners": layer["owner"].iloc[part].tolist(),
             "wkb": wkb[part].tolist()}).scalars().all()
        added += sum(rows)
        updated += len(rows) - sum(rows)
    params = {"source": source, "fids": pairs["fid"].tolist(),
              "operators": pairs["operator"].tolist()}
    wanted = """
        SELECT s.id AS structure_id, o.id AS operator_id
          FROM unnest(CAST(:fids AS text[]), CAST(:operators AS text[])) AS i(fid, operator)
          JOIN structures s ON s.source = :source AND s.source_fid = i.fid
          JOIN operators o ON o.code = i.operator"""
    # NOT IN over a materialised set plans as a hashed subplan whatever the statistics say;
    # NOT EXISTS became a nested loop re-running the join per row when they said "0 rows".
    removed = session.execute(text(f"""
        WITH wanted AS MATERIALIZED ({wanted})
        DELETE FROM structure_sharers x USING structures s
         WHERE x.structure_id = s.id AND s.source = :source
           AND (x.structure_id, x.operator_id) NOT IN
               (SELECT structure_id, operator_id FROM wanted)"""), params).rowcount
    sharers_added = session.execute(text(f"""
        INSERT INTO structure_sharers (structure_id, operator_id) {wanted}
        ON CONFLICT DO NOTHING"""), params).rowcount
    return (_counts(len(layer), added, updated),
            _counts(len(pairs), sharers_added, removed=removed))


def _link_structures(session: Session, source: str) -> int:
    """Set each segment's start/end structure to the nearest one of the same source within
    :data:`LINK_TOLERANCE_M` metres (geodesic); return the number of segments changed.

    The nearest structures are found in memory (shapely STRtree), so the result and its speed
    do not depend on the database's statistics; one UPDATE writes the changes.
    """
    segments = session.execute(text("""
        SELECT id, ST_X(ST_StartPoint(geom)), ST_Y(ST_StartPoint(geom)),
               ST_X(ST_EndPoint(geom)), ST_Y(ST_EndPoint(geom))
          FROM cable_segments WHERE source = :source ORDER BY id"""), {"source": source}).all()
    structures = session.execute(text("""
        SELECT id, ST_X(geom), ST_Y(geom) FROM structures WHERE source = :source ORDER BY id"""),
        {"source": source}).all()
    if not segments or not structures:
        return 0
    seg = np.array(segments, dtype=float)
    st = np.array(structures, dtype=float)
    ends = np.vstack([seg[:, 1:3], seg[:, 3:5]])
    tree = shapely.STRtree(shapely.points(st[:, 1:3]))
    found = np.full(len(ends), -1)
    pairs = tree.query_nearest(shapely.points(ends), max_distance=LINK_TOLERANCE_M * 2e-5,
                               all_matches=False)
    metres = _GEOD.inv(ends[pairs[0], 0], ends[pairs[0], 1],
                       st[pairs[1], 1], st[pairs[1], 2])[2]
    close = metres <= LINK_TOLERANCE_M
    found[pairs[0][close]] = st[pairs[1][close], 0].astype(np.int64)
    linked = [None if v < 0 else int(v) for v in found]
    return session.execute(text("""
        UPDATE cable_segments c SET start_structure_id = l.start_id, end_structure_id = l.end_id
          FROM unnest(CAST(:ids AS bigint[]), CAST(:starts AS bigint[]),
                      CAST(:ends AS bigint[])) AS l(id, start_id, end_id)
         WHERE c.id = l.id
           AND (c.start_structure_id, c.end_structure_id) IS DISTINCT FROM (l.start_id, l.end_id)
        """), {"ids": seg[:, 0].astype(np.int64).tolist(), "starts": linked[: len(seg)],
               "ends": linked[len(seg):]}).rowcount


def _load_history(session: Session, frame: pd.DataFrame, source: str,
                  report: ProgressFn) -> dict[str, int]:
    """Add the history rows not yet present (same segment, date, state and source).

    The database's trigger then brings each segment's current columns up to date.
    """
    added = 0
    for part in _chunks(len(frame)):
        report("adding history", part.start, len(frame))
        chunk = frame.iloc[part]
        added += session.execute(text("""
            INSERT INTO segment_states (segment_id, effective_date, placement, placement_kind,
                                        tidied, lifecycle, source, note)
            SELECT c.id, i.d, i.p, i.k, i.t, i.l, i.src, nullif(i.note, '')
              FROM unnest(CAST(:fids AS text[]), CAST(:dates AS date[]), CAST(:p AS text[]),
                          CAST(:k AS text[]), CAST(:t AS boolean[]), CAST(:l AS text[]),
                          CAST(:src AS text[]), CAST(:notes AS text[]))
                   AS i(fid, d, p, k, t, l, src, note)
              JOIN cable_segments c ON c.source = :source AND c.source_fid = i.fid
             WHERE NOT EXISTS (
                   SELECT 1 FROM segment_states s
                    WHERE s.segment_id = c.id AND s.effective_date = i.d
                      AND (s.placement, s.placement_kind, s.tidied, s.lifecycle, s.source)
                          = (i.p, i.k, i.t, i.l, i.src))
             ORDER BY c.id, i.d"""),
            {"source": source, "fids": chunk["source_fid"].tolist(),
             "dates": _dates(chunk["effective_date"]), "p": chunk["placement"].tolist(),
             "k": chunk["placement_kind"].tolist(), "t": _flag(chunk["tidied"]),
             "l": chunk["lifecycle"].tolist(), "src": chunk["source"].tolist(),
             "notes": chunk["note"].tolist()}).rowcount
    report("adding history", len(frame), len(frame))
    return _counts(len(frame), added)


def _load_plans(session: Session, frame: pd.DataFrame) -> tuple[dict, dict]:
    """Upsert plans by (year, name); make each plan's routes match the file."""
    added = updated = 0
    links = _counts(0)
    for row in frame.itertuples(index=False):
        values = {
            "year": int(row.year), "name": row.name, "target": row.target_km or None,
            "basis": row.legal_basis or None,
            "commune": _commune_in(session, row.commune_code, int(row.year))
            if row.commune_code else None,
            "operator": session.execute(text("SELECT id FROM operators WHERE code = :c"),
                                        {"c": row.operator}).scalar() if row.operator else None,
        }
        found = session.execute(text("""
            SELECT id, (commune_id, operator_id, target_km, legal_basis)
                       IS DISTINCT FROM (:commune, :operator, CAST(:target AS numeric), :basis)
              FROM undergrounding_plans WHERE year = :year AND name = :name
             ORDER BY id LIMIT 1"""), values).first()
        if found is None:
            plan_id = session.execute(text("""
                INSERT INTO undergrounding_plans (year, name, commune_id, operator_id,
                                                  target_km, legal_basis)
                VALUES (:year, :name, :commune, :operator, CAST(:target AS numeric), :basis)
                RETURNING id"""), values).scalar_one()
            added += 1
        else:
            plan_id, changed = found
            if changed:
                session.execute(text("""
                    UPDATE undergrounding_plans
                       SET commune_id = :commune, operator_id = :operator,
                           target_km = CAST(:target AS numeric), legal_basis = :basis
                     WHERE id = :id"""), {**values, "id": plan_id})
                updated += 1
        codes = [c for c in row.route_codes.split(";") if c]
        params = {"plan": plan_id, "codes": codes}
        links["read"] += len(codes)
        links["removed"] += session.execute(text("""
            DELETE FROM plan_routes WHERE plan_id = :plan AND route_id NOT IN (
                SELECT id FROM cable_routes WHERE code = ANY(CAST(:codes AS text[])))"""),
            params).rowcount
        links["added"] += session.execute(text("""
            INSERT INTO plan_routes (plan_id, route_id)
            SELECT :plan, id FROM cable_routes WHERE code = ANY(CAST(:codes AS text[]))
            ON CONFLICT DO NOTHING"""), params).rowcount
    return _counts(len(frame), added, updated), links


def _commune_in(session: Session, code: str, year: int) -> int:
    """The version of commune ``code`` in force during ``year`` (the latest if several)."""
    unit_id = session.execute(text("""
        SELECT id FROM admin_units
         WHERE level = 'commune' AND code = :code
           AND valid_from <= make_date(:year, 12, 31)
           AND (valid_to IS NULL OR valid_to > make_date(:year, 1, 1))
         ORDER BY valid_from DESC LIMIT 1"""), {"code": code, "year": year}).scalar()
    if unit_id is None:
        raise NotFoundError(f"no commune {code} in force in {year}")
    return unit_id


def loaded_figures(session: Session, source: str) -> dict[str, float]:
    """Segments of ``source`` now: count, how many have a commune and structures, active km."""
    row = session.execute(text("""
        SELECT count(*), count(commune_id),
               count(*) FILTER (WHERE start_structure_id IS NOT NULL
                                  AND end_structure_id IS NOT NULL),
               coalesce(sum(length_m) FILTER (WHERE lifecycle = 'active'
                                                AND placement = 'overhead'), 0) / 1000.0,
               coalesce(sum(length_m) FILTER (WHERE lifecycle = 'active'
                                                AND placement = 'underground'), 0) / 1000.0
          FROM cable_segments WHERE source = :source"""), {"source": source}).one()
    keys = ("segments", "with_commune", "with_structures", "overhead_km", "underground_km")
    return dict(zip(keys, row, strict=True))
