#!/usr/bin/env bash
# A multi-connection PostgreSQL for the concurrency suite (test/economy/concurrency.test.ts).
#
# Idempotent: installs Debian's postgresql with apt-get when pg_ctlcluster is absent, raises
# max_connections (each concurrent request opens its own connection), starts the cluster when it is
# down, and (re)creates the login role `nexus_ci` (CREATEDB, not superuser) with a fresh random
# password reachable over TCP on 127.0.0.1 with password auth.
#
# That role authenticates with md5, not the server's default SCRAM: the Neon driver computes SCRAM's
# PBKDF2 (4096 rounds) in plain JavaScript, about 30 ms of CPU per connection, so 200 connections
# opened at once from one Node process block its event loop for ~6 s, past the app's 5 s connect
# timeout. md5 keeps a password check at negligible cost; the rule covers this role on loopback
# only.
#
# Prints exactly one line on stdout, for `eval "$(scripts/ci-postgres.sh)"`:
#   export NEXUS_CONCURRENCY_DATABASE_URL=postgres://nexus_ci:<password>@127.0.0.1:<port>/postgres
# Everything else goes to stderr. Stop the cluster afterwards with
# `pg_ctlcluster <version> main stop`.
set -euo pipefail

# Keep stdout (as fd 3) for the one export line: every command below writes to stderr, including
# tools that print on stdout (pg_ctlcluster says "Removed stale pid file" after an unclean
# shutdown). Commands run as root or postgres get fd 3 closed, so the server daemon cannot hold the
# caller's `$(...)` pipe open.
exec 3>&1 1>&2

MAX_CONNECTIONS="${NEXUS_CI_PG_MAX_CONNECTIONS:-300}"
ROLE=nexus_ci
CLUSTER=main

log() { echo "[ci-postgres] $*" >&2; }

# Runs a command as root (directly, or through sudo when this shell is not root).
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@" 3>&-; else sudo -n "$@" 3>&-; fi
}
# Runs a command as the postgres OS user (peer authentication on the local socket).
as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@" 3>&-; else sudo -n -u postgres "$@" 3>&-; fi
}

if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  log "pg_ctlcluster not found: installing postgresql with apt-get"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql >&2
fi

# The newest installed server version that has a `main` cluster (15 on these machines).
newest_main_cluster() {
  pg_lsclusters --no-header | awk -v c="$CLUSTER" '$2 == c { v = $1 } END { print v }'
}
VERSION="${NEXUS_CI_PG_VERSION:-$(newest_main_cluster)}"
if [ -z "$VERSION" ]; then
  VERSION="$(ls /usr/lib/postgresql | sort -n | tail -n 1)"
  log "no $CLUSTER cluster: creating $VERSION/$CLUSTER"
  as_root pg_createcluster "$VERSION" "$CLUSTER" >&2
fi
PORT="$(pg_conftool -s "$VERSION" "$CLUSTER" show port 2>/dev/null || echo 5432)"

status() {
  pg_lsclusters --no-header | awk -v v="$VERSION" -v c="$CLUSTER" '$1 == v && $2 == c { print $4 }'
}

configured="$(pg_conftool -s "$VERSION" "$CLUSTER" show max_connections 2>/dev/null || echo 100)"
if [ "$configured" != "$MAX_CONNECTIONS" ]; then
  log "max_connections $configured -> $MAX_CONNECTIONS"
  as_root pg_conftool "$VERSION" "$CLUSTER" set max_connections "$MAX_CONNECTIONS"
fi

HBA_FILE="$(pg_conftool -s "$VERSION" "$CLUSTER" show hba_file 2>/dev/null ||
  echo "/etc/postgresql/$VERSION/$CLUSTER/pg_hba.conf")"
HBA_RULE="host    all             $ROLE        127.0.0.1/32            md5"
hba_changed=no
if ! as_root grep -qxF "$HBA_RULE" "$HBA_FILE"; then
  log "pg_hba.conf: md5 for $ROLE on 127.0.0.1 (first matching rule)"
  # First match wins, so the rule goes above the file's own rules; tee keeps the file's owner and
  # mode.
  hba_new="$(mktemp)"
  {
    echo "# Added by BBWorlds NEXUS scripts/ci-postgres.sh (concurrency-suite role, loopback only)"
    echo "$HBA_RULE"
    as_root cat "$HBA_FILE"
  } >"$hba_new"
  as_root tee "$HBA_FILE" <"$hba_new" >/dev/null
  rm -f "$hba_new"
  hba_changed=yes
fi

if [ "$(status)" != online ]; then
  log "starting cluster $VERSION/$CLUSTER on port $PORT"
  as_root pg_ctlcluster "$VERSION" "$CLUSTER" start
else
  running="$(as_postgres psql -p "$PORT" -XAtqc 'SHOW max_connections')"
  if [ "$running" -lt "$MAX_CONNECTIONS" ]; then
    log "restarting cluster $VERSION/$CLUSTER (running with max_connections $running)"
    as_root pg_ctlcluster "$VERSION" "$CLUSTER" restart
  elif [ "$hba_changed" = yes ]; then
    as_root pg_ctlcluster "$VERSION" "$CLUSTER" reload
  fi
fi

for _ in $(seq 1 30); do
  as_postgres pg_isready -q -h 127.0.0.1 -p "$PORT" && break
  sleep 1
done
as_postgres pg_isready -h 127.0.0.1 -p "$PORT" >&2

# A fresh random password each run: nothing secret is stored in the repository or on disk here.
PASSWORD="$(od -An -N18 -tx1 /dev/urandom | tr -d ' \n')"
as_postgres psql -p "$PORT" -XqtA -v ON_ERROR_STOP=1 \
  -v role="$ROLE" -v password="$PASSWORD" >&2 <<'SQL'
SELECT format('CREATE ROLE %I', :'role')
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'role') \gexec
SET password_encryption = 'md5';
SELECT format('ALTER ROLE %I LOGIN CREATEDB NOSUPERUSER PASSWORD %L', :'role', :'password') \gexec
SQL

log "ready: PostgreSQL $VERSION on 127.0.0.1:$PORT (max_connections $MAX_CONNECTIONS), role $ROLE"
echo "export NEXUS_CONCURRENCY_DATABASE_URL=postgres://$ROLE:$PASSWORD@127.0.0.1:$PORT/postgres" >&3
