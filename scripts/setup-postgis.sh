#!/usr/bin/env bash
# Make a local PostgreSQL 15 + PostGIS 3 ready for telecom-gis, idempotently:
#   1. install postgresql-15 and postgresql-15-postgis-3 with apt when missing (as root;
#      otherwise print the exact command and stop);
#   2. create and start the Debian cluster 15/main when it is not online;
#   3. create the role telecom_gis (LOGIN CREATEDB, not superuser) and the NOLOGIN role
#      telecom_gis_operator it switches to for operator users' requests, a template database
#      telecom_gis_template with postgis + btree_gist (tests clone it), and the database telecom_gis.
# Running it twice changes nothing. Skipped entirely when TELECOM_GIS_DATABASE_URL is set:
# then the database is yours to provide.
set -euo pipefail

PG_VERSION=15
CLUSTER=main
ROLE=telecom_gis
PASSWORD=telecom_gis
DB=telecom_gis
TEMPLATE=telecom_gis_template

say() { printf '[setup-postgis] %s\n' "$*"; }

if [ -n "${TELECOM_GIS_DATABASE_URL:-}" ]; then
  say "TELECOM_GIS_DATABASE_URL is set: using that database, nothing to set up locally."
  exit 0
fi

missing=()
[ -x "/usr/lib/postgresql/${PG_VERSION}/bin/postgres" ] || missing+=("postgresql-${PG_VERSION}")
[ -f "/usr/share/postgresql/${PG_VERSION}/extension/postgis.control" ] || missing+=("postgresql-${PG_VERSION}-postgis-3")
command -v pg_ctlcluster >/dev/null 2>&1 || missing+=("postgresql-common")
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "Missing packages: ${missing[*]}. Install them with:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  say "installing ${missing[*]} with apt"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else sudo -n -u postgres "$@"; fi
}
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi
}

if ! pg_lsclusters -h | awk -v v="$PG_VERSION" -v c="$CLUSTER" '$1==v && $2==c' | grep -q .; then
  say "creating cluster ${PG_VERSION}/${CLUSTER}"
  as_root pg_createcluster "$PG_VERSION" "$CLUSTER" >/dev/null
fi
if ! pg_lsclusters -h | awk -v v="$PG_VERSION" -v c="$CLUSTER" '$1==v && $2==c {print $4}' | grep -q online; then
  say "starting cluster ${PG_VERSION}/${CLUSTER}"
  as_root pg_ctlcluster "$PG_VERSION" "$CLUSTER" start
fi
port=$(pg_lsclusters -h | awk -v v="$PG_VERSION" -v c="$CLUSTER" '$1==v && $2==c {print $3}')
for _ in $(seq 1 30); do
  pg_isready -q -h localhost -p "$port" && break
  sleep 1
done
pg_isready -q -h localhost -p "$port" || { echo "PostgreSQL on port $port did not become ready" >&2; exit 1; }

psql_pg() { as_postgres psql -X -q -v ON_ERROR_STOP=1 -p "$port" "$@"; }
exists_db() { [ "$(psql_pg -tAc "SELECT 1 FROM pg_database WHERE datname = '$1'")" = 1 ]; }

psql_pg -d postgres <<SQL
DO \$\$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${ROLE}') THEN
    CREATE ROLE ${ROLE} LOGIN CREATEDB PASSWORD '${PASSWORD}';
  END IF;
END
\$\$;
-- Lets DROP DATABASE ... WITH (FORCE) end other sessions on throwaway test/bench databases.
GRANT pg_signal_backend TO ${ROLE};
-- The role operator users' requests switch to (row-level security confines it to one operator).
DO \$\$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'telecom_gis_operator') THEN
    CREATE ROLE telecom_gis_operator NOLOGIN;
  END IF;
END
\$\$;
GRANT telecom_gis_operator TO ${ROLE};
SQL

if ! exists_db "$TEMPLATE"; then
  say "creating template database ${TEMPLATE}"
  psql_pg -d postgres -c "CREATE DATABASE ${TEMPLATE} OWNER ${ROLE}"
fi
# postgis is not a trusted extension: the superuser installs it once, in the template.
psql_pg -d "$TEMPLATE" -c "SET client_min_messages = warning; CREATE EXTENSION IF NOT EXISTS postgis; CREATE EXTENSION IF NOT EXISTS btree_gist;"
psql_pg -d postgres -c "ALTER DATABASE ${TEMPLATE} IS_TEMPLATE true"

if ! exists_db "$DB"; then
  say "creating database ${DB}"
  psql_pg -d postgres -c "CREATE DATABASE ${DB} OWNER ${ROLE} TEMPLATE ${TEMPLATE}"
fi
psql_pg -d "$DB" -c "SET client_min_messages = warning; CREATE EXTENSION IF NOT EXISTS postgis; CREATE EXTENSION IF NOT EXISTS btree_gist;"
say "ready: postgresql+psycopg://${ROLE}:***@localhost:${port}/${DB} (template ${TEMPLATE} for tests)"
