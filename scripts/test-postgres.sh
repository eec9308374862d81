#!/usr/bin/env bash
# Start a local PostgreSQL server for the tests and print its URL (nothing when it cannot).
# Installs Debian's postgresql when missing (as root). In CI a failure is fatal.
set -u
URL="postgresql+psycopg://surveyapp:surveyapp@127.0.0.1:5432/surveyapp_test"

fail() {
  echo "PostgreSQL tests unavailable: $*" >&2
  if [ "${CI:-}" = "true" ]; then exit 1; fi
  exit 0
}

if ! command -v pg_lsclusters >/dev/null 2>&1; then
  [ "$(id -u)" = "0" ] || fail "postgresql is not installed (apt-get install postgresql)"
  { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql; } \
    >/dev/null || fail "could not install postgresql"
fi
read -r version cluster status <<<"$(pg_lsclusters -h | awk '{print $1, $2, $4; exit}')"
[ -n "${version:-}" ] || fail "no PostgreSQL cluster"
if [ "$status" != "online" ]; then
  [ "$(id -u)" = "0" ] || fail "the cluster $version/$cluster is down"
  pg_ctlcluster "$version" "$cluster" start || fail "could not start $version/$cluster"
fi
as_postgres() { if [ "$(id -u)" = "0" ]; then su postgres -c "$1"; else sh -c "$1"; fi; }
as_postgres "psql -qtAc \"SELECT 1 FROM pg_roles WHERE rolname='surveyapp'\"" | grep -q 1 ||
  as_postgres "psql -qc \"CREATE ROLE surveyapp LOGIN PASSWORD 'surveyapp'\"" >/dev/null ||
  fail "could not create the role"
as_postgres "psql -qtAc \"SELECT 1 FROM pg_database WHERE datname='surveyapp_test'\"" | grep -q 1 ||
  as_postgres "psql -qc 'CREATE DATABASE surveyapp_test OWNER surveyapp'" >/dev/null ||
  fail "could not create the database"
echo "$URL"
