# Source this file to start a throwaway PostgreSQL cluster on a loopback port, owned by the
# "postgres" system user, in a temporary folder. It exports ATRIUM_TEST_POSTGRES and
# defines pg_stop, which the caller runs (or traps) at the end.
pg_bin=""
for d in /usr/lib/postgresql/*/bin; do [[ -x $d/initdb ]] && pg_bin=$d; done
if [[ -z $pg_bin ]]; then
  echo "ci: installing PostgreSQL" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  for d in /usr/lib/postgresql/*/bin; do [[ -x $d/initdb ]] && pg_bin=$d; done
fi
[[ -n $pg_bin ]] || { echo "ci: no PostgreSQL binaries found" >&2; return 1; }

pg_dir=$(mktemp -d /tmp/atrium-pg.XXXXXX)
pg_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
as_pg() { if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[[ $(id -u) == 0 ]] && chown postgres "$pg_dir"
as_pg "$pg_bin/initdb" -D "$pg_dir/data" -U postgres -A trust --no-sync >"$pg_dir/initdb.log" 2>&1 ||
  { cat "$pg_dir/initdb.log" >&2; return 1; }
as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -p $pg_port -k $pg_dir -c fsync=off -c max_connections=300" \
  start >/dev/null || { cat "$pg_dir/server.log" >&2; return 1; }

pg_stop() {
  as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -m fast -w stop >/dev/null 2>&1
  rm -rf "$pg_dir"
}
export ATRIUM_TEST_POSTGRES="postgres://postgres@127.0.0.1:$pg_port/postgres?sslmode=disable"
echo "ci: PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$pg_port" >&2
