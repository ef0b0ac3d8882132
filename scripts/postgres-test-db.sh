#!/usr/bin/env bash
# Make a local PostgreSQL test database available (Debian's packages; run as root, as CI does) and print its
# SQLAlchemy URL. Used by CI to run the test suite against PostgreSQL as well as SQLite.
#   scripts/postgres-test-db.sh [database name]   (default assistant_test; make bench-load uses its own)
set -euo pipefail
db="${1:-assistant_test}"
[[ "$db" =~ ^[a-z_][a-z0-9_]*$ ]] || { echo "bad database name: $db" >&2; exit 2; }
if ! command -v pg_lsclusters >/dev/null 2>&1; then
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
version=$(pg_lsclusters --no-header | awk 'NR==1 {print $1}')
cluster=$(pg_lsclusters --no-header | awk 'NR==1 {print $2}')
port=$(pg_lsclusters --no-header | awk 'NR==1 {print $3}')
if [ -z "$version" ]; then
  version=$(ls /usr/lib/postgresql | sort -V | tail -1); cluster=main
  pg_createcluster "$version" "$cluster" >&2
  port=$(pg_lsclusters --no-header | awk 'NR==1 {print $3}')
fi
pg_ctlcluster "$version" "$cluster" start >&2 2>/dev/null || true
for _ in $(seq 1 30); do su postgres -c "pg_isready -q -p $port" && break; sleep 1; done
su postgres -c "psql -p $port -qtAc \"SELECT 1 FROM pg_roles WHERE rolname='assistant_test'\"" | grep -q 1 \
  || su postgres -c "psql -p $port -qc \"CREATE ROLE assistant_test LOGIN PASSWORD 'assistant_test'\"" >&2
su postgres -c "psql -p $port -qtAc \"SELECT 1 FROM pg_database WHERE datname='$db'\"" | grep -q 1 \
  || su postgres -c "psql -p $port -qc 'CREATE DATABASE $db OWNER assistant_test'" >&2
# The tests drop and re-create the public schema before each test: the test role must own the database and it.
su postgres -c "psql -p $port -qc 'ALTER DATABASE $db OWNER TO assistant_test'" >&2
su postgres -c "psql -p $port -d $db -qc 'CREATE SCHEMA IF NOT EXISTS public; ALTER SCHEMA public OWNER TO assistant_test'" >&2
echo "postgresql+asyncpg://assistant_test:assistant_test@127.0.0.1:$port/$db"
