-- 0003: users and tokens, audit log, checklist catalogue, campaigns, inspection visits with
-- results and photos, violations, penalty decisions, placement-change reports, and row-level
-- security that confines an operator's session to its own data.
--
-- Rules the database enforces itself:
--   * visits and their results are append-only (corrections are new visits linked by corrects_id);
--   * checklist items of a version never change once loaded (a new version is a new set);
--   * at most one unresolved violation per segment and checklist item;
--   * a penalty decision links only violations of its own operator;
--   * every write to these tables is written to audit_log with before/after images.

-- The operator a session is confined to (NULL: staff or maintenance, sees everything).
CREATE FUNCTION telecom_gis_operator_scope() RETURNS integer LANGUAGE sql STABLE AS $$
  SELECT nullif(current_setting('telecom_gis.operator_scope', true), '')::integer
$$;

-- ---------------------------------------------------------------- users, tokens, audit
CREATE TABLE users (
  id           serial PRIMARY KEY,
  username     text NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9][a-z0-9._-]{1,63}$'),
  full_name    text NOT NULL CHECK (length(full_name) BETWEEN 1 AND 200),
  role         varchar(16) NOT NULL CHECK (role IN ('admin', 'inspector', 'planner', 'operator')),
  operator_id  integer REFERENCES operators (id) ON DELETE RESTRICT,
  active       boolean NOT NULL DEFAULT true,
  created_at   timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT users_operator_role_check CHECK ((role = 'operator') = (operator_id IS NOT NULL))
);

CREATE TABLE api_tokens (
  id            serial PRIMARY KEY,
  user_id       integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  token_sha256  char(64) NOT NULL UNIQUE,
  label         text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  expires_at    timestamptz,
  revoked_at    timestamptz
);
CREATE INDEX api_tokens_user_idx ON api_tokens (user_id);

CREATE TABLE audit_log (
  id          bigserial PRIMARY KEY,
  at          timestamptz NOT NULL DEFAULT now(),
  actor       text NOT NULL DEFAULT telecom_gis_actor(),
  table_name  text NOT NULL,
  action      varchar(8) NOT NULL CHECK (action IN ('INSERT', 'UPDATE', 'DELETE')),
  row_key     text,
  before      jsonb,
  after       jsonb
);
CREATE INDEX audit_log_table_row_idx ON audit_log (table_name, row_key);
CREATE INDEX audit_log_at_idx ON audit_log (at);

-- One row per written row. Secrets (token hashes) are left out of the images. It runs with the
-- owner's rights, so sessions confined to an operator are audited without being able to write
-- (or forge) audit rows themselves.
CREATE FUNCTION audit_row() RETURNS trigger LANGUAGE plpgsql
  SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  old_image jsonb := CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) - 'token_sha256' END;
  new_image jsonb := CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) - 'token_sha256' END;
  image jsonb := coalesce(new_image, old_image);
BEGIN
  INSERT INTO audit_log (table_name, action, row_key, before, after)
  VALUES (
    TG_TABLE_NAME, TG_OP,
    coalesce(image ->> 'id',
             (SELECT string_agg(value, ',' ORDER BY key) FROM jsonb_each_text(image)
               WHERE key LIKE '%\_id' ESCAPE '\')),
    old_image, new_image
  );
  RETURN NULL;
END
$$;

CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % is not allowed (record a correction instead)',
    TG_TABLE_NAME, TG_OP USING ERRCODE = 'raise_exception';
END
$$;

-- ---------------------------------------------------------------- checklist catalogue
CREATE TABLE checklist_versions (
  id              serial PRIMARY KEY,
  code            text NOT NULL UNIQUE,
  title           text NOT NULL,
  effective_from  date NOT NULL,
  source          text,
  content_sha256  char(64) NOT NULL,
  loaded_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE checklist_items (
  id                 serial PRIMARY KEY,
  version_id         integer NOT NULL REFERENCES checklist_versions (id) ON DELETE RESTRICT,
  code               varchar(8) NOT NULL,
  position           smallint NOT NULL,
  text_vi            text NOT NULL,
  text_en            text NOT NULL,
  clause             text NOT NULL,
  sources            text[] NOT NULL DEFAULT '{}',
  severity           varchar(16) NOT NULL CHECK (severity IN ('minor', 'major', 'critical')),
  placements         text[] NOT NULL
                     CHECK (cardinality(placements) > 0
                            AND placements <@ ARRAY['overhead', 'underground']::text[]),
  remediation_days   smallint NOT NULL CHECK (remediation_days BETWEEN 1 AND 3650),
  remediation_days_sourced boolean NOT NULL DEFAULT false,
  measure_unit       text,
  limit_kind         varchar(8) CHECK (limit_kind IN ('min', 'max')),
  limit_value        numeric,
  limit_sourced      boolean,
  CONSTRAINT checklist_items_limit_check
    CHECK ((limit_kind IS NULL) = (limit_value IS NULL) AND (limit_kind IS NULL) = (limit_sourced IS NULL)),
  UNIQUE (version_id, code)
);

CREATE TRIGGER checklist_items_frozen BEFORE UPDATE OR DELETE ON checklist_items
  FOR EACH ROW EXECUTE FUNCTION refuse_change();

-- ---------------------------------------------------------------- campaigns
CREATE TABLE campaigns (
  id                    serial PRIMARY KEY,
  code                  varchar(32) NOT NULL UNIQUE,
  name                  text NOT NULL,
  legal_basis           text NOT NULL,
  starts_on             date NOT NULL,
  ends_on               date NOT NULL,
  checklist_version_id  integer REFERENCES checklist_versions (id) ON DELETE RESTRICT,
  note                  text,
  created_at            timestamptz NOT NULL DEFAULT now(),
  created_by            text NOT NULL DEFAULT telecom_gis_actor(),
  CONSTRAINT campaigns_period_check CHECK (ends_on >= starts_on)
);

CREATE TABLE campaign_communes (
  campaign_id    integer NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
  admin_unit_id  integer NOT NULL REFERENCES admin_units (id) ON DELETE RESTRICT,
  PRIMARY KEY (campaign_id, admin_unit_id)
);
CREATE TABLE campaign_operators (
  campaign_id  integer NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
  operator_id  integer NOT NULL REFERENCES operators (id) ON DELETE RESTRICT,
  PRIMARY KEY (campaign_id, operator_id)
);
CREATE TABLE campaign_inspectors (
  campaign_id  integer NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
  user_id      integer NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
  PRIMARY KEY (campaign_id, user_id)
);

-- ---------------------------------------------------------------- visits
CREATE TABLE inspections (
  id                    bigserial PRIMARY KEY,
  campaign_id           integer REFERENCES campaigns (id) ON DELETE RESTRICT,
  segment_id            bigint NOT NULL REFERENCES cable_segments (id) ON DELETE RESTRICT,
  operator_id           integer NOT NULL REFERENCES operators (id) ON DELETE RESTRICT,
  inspector_id          integer NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
  visited_at            timestamptz NOT NULL,
  placement             varchar(16) NOT NULL CHECK (placement IN ('overhead', 'underground')),
  checklist_version_id  integer NOT NULL REFERENCES checklist_versions (id) ON DELETE RESTRICT,
  position              geometry(Point, 4326),
  position_accuracy_m   real CHECK (position_accuracy_m >= 0),
  snapped_distance_m    real CHECK (snapped_distance_m >= 0),
  note                  text,
  photos_expected       smallint NOT NULL DEFAULT 0 CHECK (photos_expected BETWEEN 0 AND 50),
  corrects_id           bigint UNIQUE REFERENCES inspections (id) ON DELETE RESTRICT,
  correction_reason     text,
  idempotency_key       uuid NOT NULL UNIQUE,
  request_sha256        char(64) NOT NULL,
  recorded_at           timestamptz NOT NULL DEFAULT now(),
  recorded_by           text NOT NULL DEFAULT telecom_gis_actor(),
  CONSTRAINT inspections_correction_check
    CHECK ((corrects_id IS NULL) = (correction_reason IS NULL)),
  CONSTRAINT inspections_not_future_check
    CHECK (visited_at <= recorded_at + interval '10 minutes'),
  CONSTRAINT inspections_position_check
    CHECK (position IS NULL OR (ST_IsValid(position) AND NOT ST_IsEmpty(position)))
);
CREATE INDEX inspections_segment_idx ON inspections (segment_id, visited_at DESC);
CREATE INDEX inspections_campaign_idx ON inspections (campaign_id);
CREATE INDEX inspections_operator_idx ON inspections (operator_id);
CREATE INDEX inspections_visited_idx ON inspections (visited_at);

CREATE TABLE inspection_results (
  inspection_id   bigint NOT NULL REFERENCES inspections (id) ON DELETE RESTRICT,
  item_id         integer NOT NULL REFERENCES checklist_items (id) ON DELETE RESTRICT,
  result          varchar(12) NOT NULL CHECK (result IN ('pass', 'fail', 'not_checked')),
  measured_value  numeric,
  note            text,
  PRIMARY KEY (inspection_id, item_id)
);
CREATE INDEX inspection_results_item_idx ON inspection_results (item_id);

CREATE TRIGGER inspections_append_only BEFORE UPDATE OR DELETE ON inspections
  FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER inspection_results_append_only BEFORE UPDATE OR DELETE ON inspection_results
  FOR EACH ROW EXECUTE FUNCTION refuse_change();

CREATE TABLE photos (
  id             bigserial PRIMARY KEY,
  inspection_id  bigint NOT NULL REFERENCES inspections (id) ON DELETE RESTRICT,
  slot           smallint NOT NULL CHECK (slot >= 1),
  sha256         char(64) NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  media_type     varchar(32) NOT NULL CHECK (media_type IN ('image/jpeg', 'image/png', 'image/webp')),
  size_bytes     integer NOT NULL CHECK (size_bytes > 0),
  width          integer CHECK (width > 0),
  height         integer CHECK (height > 0),
  taken_at       timestamptz,
  position       geometry(Point, 4326),
  storage_key    text NOT NULL CHECK (storage_key ~ '^[0-9a-f]{2}/[0-9a-f]{64}\.(jpg|png|webp)$'),
  uploaded_at    timestamptz NOT NULL DEFAULT now(),
  uploaded_by    text NOT NULL DEFAULT telecom_gis_actor(),
  UNIQUE (inspection_id, slot)
);
CREATE TRIGGER photos_append_only BEFORE UPDATE OR DELETE ON photos
  FOR EACH ROW EXECUTE FUNCTION refuse_change();

-- ---------------------------------------------------------------- violations, penalties
CREATE TABLE violations (
  id                          bigserial PRIMARY KEY,
  segment_id                  bigint NOT NULL REFERENCES cable_segments (id) ON DELETE RESTRICT,
  operator_id                 integer NOT NULL REFERENCES operators (id) ON DELETE RESTRICT,
  inspection_id               bigint NOT NULL REFERENCES inspections (id) ON DELETE RESTRICT,
  item_id                     integer NOT NULL REFERENCES checklist_items (id) ON DELETE RESTRICT,
  found_at                    timestamptz NOT NULL,
  due_on                      date NOT NULL,
  state                       varchar(24) NOT NULL DEFAULT 'open'
                              CHECK (state IN ('open', 'remediation_reported', 'closed', 'withdrawn')),
  remediation_reported_at     timestamptz,
  remediation_reported_by     integer REFERENCES users (id) ON DELETE RESTRICT,
  remediation_note            text,
  closed_at                   timestamptz,
  closed_by_inspection_id     bigint REFERENCES inspections (id) ON DELETE RESTRICT,
  CONSTRAINT violations_due_check CHECK (due_on >= (found_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date),
  CONSTRAINT violations_reported_check
    CHECK (state <> 'remediation_reported' OR remediation_reported_at IS NOT NULL),
  CONSTRAINT violations_closed_check
    CHECK ((state IN ('closed', 'withdrawn')) = (closed_at IS NOT NULL)),
  CONSTRAINT violations_order_check
    CHECK (remediation_reported_at IS NULL OR remediation_reported_at >= found_at),
  CONSTRAINT violations_closed_order_check CHECK (closed_at IS NULL OR closed_at >= found_at)
);
CREATE UNIQUE INDEX violations_one_unresolved_idx ON violations (segment_id, item_id)
  WHERE state IN ('open', 'remediation_reported');
CREATE INDEX violations_segment_idx ON violations (segment_id);
CREATE INDEX violations_operator_idx ON violations (operator_id);
CREATE INDEX violations_inspection_idx ON violations (inspection_id);

CREATE TABLE penalty_decisions (
  id           serial PRIMARY KEY,
  number       text NOT NULL UNIQUE,
  decided_on   date NOT NULL,
  operator_id  integer NOT NULL REFERENCES operators (id) ON DELETE RESTRICT,
  decree       text NOT NULL,
  article      text NOT NULL,
  clause       text,
  amount_vnd   bigint NOT NULL CHECK (amount_vnd > 0),
  note         text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  created_by   text NOT NULL DEFAULT telecom_gis_actor()
);
CREATE INDEX penalty_decisions_operator_idx ON penalty_decisions (operator_id);

CREATE TABLE penalty_violations (
  decision_id   integer NOT NULL REFERENCES penalty_decisions (id) ON DELETE CASCADE,
  violation_id  bigint NOT NULL REFERENCES violations (id) ON DELETE RESTRICT,
  PRIMARY KEY (decision_id, violation_id)
);
CREATE INDEX penalty_violations_violation_idx ON penalty_violations (violation_id);

CREATE FUNCTION penalty_violations_same_operator() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (
    SELECT 1 FROM penalty_decisions d JOIN violations v ON v.operator_id = d.operator_id
     WHERE d.id = NEW.decision_id AND v.id = NEW.violation_id
  ) THEN
    RAISE EXCEPTION 'violation % belongs to another operator than penalty decision %',
      NEW.violation_id, NEW.decision_id USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER penalty_violations_same_operator BEFORE INSERT OR UPDATE ON penalty_violations
  FOR EACH ROW EXECUTE FUNCTION penalty_violations_same_operator();

-- ---------------------------------------------------------------- placement-change reports
CREATE TABLE placement_reports (
  id              bigserial PRIMARY KEY,
  segment_id      bigint NOT NULL REFERENCES cable_segments (id) ON DELETE RESTRICT,
  operator_id     integer NOT NULL REFERENCES operators (id) ON DELETE RESTRICT,
  reported_by     integer NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
  reported_at     timestamptz NOT NULL DEFAULT now(),
  effective_on    date NOT NULL,
  placement       varchar(16) NOT NULL CHECK (placement IN ('overhead', 'underground')),
  placement_kind  varchar(16) NOT NULL,
  tidied          boolean NOT NULL,
  evidence        text NOT NULL CHECK (length(evidence) > 0),
  status          varchar(12) NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'confirmed', 'rejected')),
  decided_by      integer REFERENCES users (id) ON DELETE RESTRICT,
  decided_at      timestamptz,
  decision_note   text,
  state_id        bigint REFERENCES segment_states (id) ON DELETE RESTRICT,
  CONSTRAINT placement_reports_decided_check
    CHECK ((status = 'pending') = (decided_at IS NULL) AND (status = 'pending') = (decided_by IS NULL)),
  CONSTRAINT placement_reports_state_check CHECK ((status = 'confirmed') = (state_id IS NOT NULL)),
  CONSTRAINT placement_reports_kind_check CHECK (
    (placement = 'overhead' AND placement_kind = 'aerial')
    OR (placement = 'underground' AND placement_kind IN ('duct', 'direct_buried', 'tunnel')))
);
CREATE INDEX placement_reports_segment_idx ON placement_reports (segment_id);
CREATE INDEX placement_reports_operator_idx ON placement_reports (operator_id);

-- ---------------------------------------------------------------- audit triggers
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY[
    'users', 'api_tokens', 'checklist_versions', 'checklist_items', 'campaigns',
    'campaign_communes', 'campaign_operators', 'campaign_inspectors', 'inspections',
    'inspection_results', 'photos', 'violations', 'penalty_decisions', 'penalty_violations',
    'placement_reports', 'undergrounding_plans', 'plan_routes', 'operators'
  ] LOOP
    EXECUTE format(
      'CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE ON %I '
      'FOR EACH ROW EXECUTE FUNCTION audit_row()', t || '_audit', t);
  END LOOP;
END
$$;

-- ---------------------------------------------------------------- row-level security
-- An operator's user works under the role telecom_gis_operator (the API does SET LOCAL ROLE for
-- them), and its policies confine it to the operator in telecom_gis.operator_scope. Staff and
-- maintenance work as the owner, whom the policies do not touch: that keeps the planner free to
-- use spatial indexes (PostGIS operators are not leakproof, so under a policy they could not be).
-- Creating the role needs CREATEROLE (scripts/setup-postgis.sh grants it) unless it exists.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'telecom_gis_operator') THEN
    CREATE ROLE telecom_gis_operator NOLOGIN;
  END IF;
  IF NOT pg_has_role(current_user, 'telecom_gis_operator', 'MEMBER') THEN
    EXECUTE format('GRANT telecom_gis_operator TO %I', current_user);
  END IF;
END
$$;

GRANT USAGE ON SCHEMA public TO telecom_gis_operator;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO telecom_gis_operator;
REVOKE SELECT ON api_tokens, audit_log, import_runs FROM telecom_gis_operator;
GRANT UPDATE (state, remediation_reported_at, remediation_reported_by, remediation_note)
  ON violations TO telecom_gis_operator;
GRANT INSERT ON placement_reports TO telecom_gis_operator;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO telecom_gis_operator;

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY[
    'cable_routes', 'cable_segments', 'inspections', 'violations', 'penalty_decisions',
    'placement_reports'
  ] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format(
      'CREATE POLICY operator_scope ON %I TO telecom_gis_operator '
      'USING (operator_id = telecom_gis_operator_scope())', t);
  END LOOP;
END
$$;

ALTER TABLE operators ENABLE ROW LEVEL SECURITY;
CREATE POLICY operator_scope ON operators TO telecom_gis_operator
  USING (id = telecom_gis_operator_scope());

ALTER TABLE structures ENABLE ROW LEVEL SECURITY;
CREATE POLICY operator_scope ON structures TO telecom_gis_operator USING
  (owner_id = telecom_gis_operator_scope()
   OR EXISTS (SELECT 1 FROM structure_sharers s
               WHERE s.structure_id = structures.id
                 AND s.operator_id = telecom_gis_operator_scope()));

ALTER TABLE structure_sharers ENABLE ROW LEVEL SECURITY;
CREATE POLICY operator_scope ON structure_sharers TO telecom_gis_operator
  USING (operator_id = telecom_gis_operator_scope());

ALTER TABLE segment_states ENABLE ROW LEVEL SECURITY;
CREATE POLICY operator_scope ON segment_states TO telecom_gis_operator
  USING (EXISTS (SELECT 1 FROM cable_segments c WHERE c.id = segment_states.segment_id));

ALTER TABLE inspection_results ENABLE ROW LEVEL SECURITY;
CREATE POLICY operator_scope ON inspection_results TO telecom_gis_operator
  USING (EXISTS (SELECT 1 FROM inspections i WHERE i.id = inspection_results.inspection_id));

ALTER TABLE photos ENABLE ROW LEVEL SECURITY;
CREATE POLICY operator_scope ON photos TO telecom_gis_operator
  USING (EXISTS (SELECT 1 FROM inspections i WHERE i.id = photos.inspection_id));

ALTER TABLE penalty_violations ENABLE ROW LEVEL SECURITY;
CREATE POLICY operator_scope ON penalty_violations TO telecom_gis_operator
  USING (EXISTS (SELECT 1 FROM penalty_decisions d WHERE d.id = penalty_violations.decision_id));

-- Whether a plan lists a route of another operator than the scope's. It runs as the owner, so
-- it sees every route (under the policies the other operators' routes would be invisible) and a
-- policy on plans that read plan_routes directly would recurse through plan_routes' policy.
CREATE FUNCTION telecom_gis_plan_has_foreign_routes(plan integer) RETURNS boolean
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
  SELECT EXISTS (SELECT 1 FROM plan_routes pr JOIN cable_routes r ON r.id = pr.route_id
                  WHERE pr.plan_id = plan
                    AND r.operator_id IS DISTINCT FROM telecom_gis_operator_scope())
$$;

ALTER TABLE undergrounding_plans ENABLE ROW LEVEL SECURITY;
CREATE POLICY operator_scope ON undergrounding_plans TO telecom_gis_operator USING
  (operator_id = telecom_gis_operator_scope()
   OR (operator_id IS NULL AND NOT telecom_gis_plan_has_foreign_routes(id)));

ALTER TABLE plan_routes ENABLE ROW LEVEL SECURITY;
CREATE POLICY operator_scope ON plan_routes TO telecom_gis_operator
  USING (EXISTS (SELECT 1 FROM undergrounding_plans p WHERE p.id = plan_routes.plan_id));

ALTER TABLE users ENABLE ROW LEVEL SECURITY;
CREATE POLICY operator_scope ON users TO telecom_gis_operator
  USING (operator_id = telecom_gis_operator_scope() OR role = 'inspector');

-- Campaign scope lists name other operators: an operator sees the campaigns that include it and
-- the province-wide ones (no operator list), and only its own row of each list.
ALTER TABLE campaign_operators ENABLE ROW LEVEL SECURITY;
CREATE POLICY operator_scope ON campaign_operators TO telecom_gis_operator
  USING (operator_id = telecom_gis_operator_scope());

CREATE FUNCTION telecom_gis_campaign_concerns_scope(campaign integer) RETURNS boolean
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
  SELECT NOT EXISTS (SELECT 1 FROM campaign_operators co WHERE co.campaign_id = campaign)
      OR EXISTS (SELECT 1 FROM campaign_operators co
                  WHERE co.campaign_id = campaign
                    AND co.operator_id = telecom_gis_operator_scope())
$$;

ALTER TABLE campaigns ENABLE ROW LEVEL SECURITY;
CREATE POLICY operator_scope ON campaigns TO telecom_gis_operator
  USING (telecom_gis_campaign_concerns_scope(id));

-- Who inspects and which communes: only for the campaigns the operator may see.
ALTER TABLE campaign_inspectors ENABLE ROW LEVEL SECURITY;
CREATE POLICY operator_scope ON campaign_inspectors TO telecom_gis_operator
  USING (telecom_gis_campaign_concerns_scope(campaign_id));
ALTER TABLE campaign_communes ENABLE ROW LEVEL SECURITY;
CREATE POLICY operator_scope ON campaign_communes TO telecom_gis_operator
  USING (telecom_gis_campaign_concerns_scope(campaign_id));

-- ---------------------------------------------------------------- local time
-- The department works in Vietnam's time: current_date (the history's "no future dates" rule,
-- default dates) must be the local date, not UTC's, or a change dated today is refused from
-- 00:00 to 07:00. Applies to new sessions.
DO $$
BEGIN
  EXECUTE format('ALTER DATABASE %I SET timezone TO %L', current_database(), 'Asia/Ho_Chi_Minh');
END
$$;
