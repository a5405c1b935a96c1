#!/usr/bin/env bash
# The scratch-postgres script: start prints a DSN that psql can use over TCP with verify-full TLS,
# every auth role logs in with its method, the hostssl-only role is refused without TLS, and stop
# leaves no server behind.
set -euo pipefail
script=$1 cert_tool=$2 dir=$3
trap '"$script" stop "$dir" >/dev/null 2>&1 || true' EXIT

dsn=$("$script" start "$dir" --cert-tool "$cert_tool")
# shellcheck disable=SC1091
source "$dir/server.env"
c=$PGSTREAM_TEST_SOCKET_DIR
fail() { echo "FAIL: $*" >&2; exit 1; }

q() { psql -X -At -v ON_ERROR_STOP=1 "$@"; }
[[ $(q "$dsn" -c 'select 1') == 1 ]] || fail "the printed DSN does not connect"
ssl=$(q "host=localhost port=$PGSTREAM_TEST_PORT user=$PGSTREAM_TEST_ADMIN_USER dbname=postgres sslmode=verify-full sslrootcert=$PGSTREAM_TEST_SSLROOTCERT" \
  -c 'select ssl from pg_stat_ssl where pid = pg_backend_pid()')
[[ $ssl == t ]] || fail "verify-full TLS to localhost did not give an encrypted session"

check_role() {  # user password expected-method
  local got
  got=$(PGPASSWORD=$2 q "host=127.0.0.1 port=$PGSTREAM_TEST_PORT user=$1 dbname=postgres sslmode=disable" -c 'select current_user') ||
    fail "$1 cannot log in"
  [[ $got == "$1" ]] || fail "$1 logged in as $got"
  grep -qE "^host +all +$1 +127\.0\.0\.1/32 +$3$" "$PGSTREAM_TEST_DATA_DIR/pg_hba.conf" || fail "$1 is not bound to $3"
}
check_role "$PGSTREAM_TEST_TRUST_USER" "" trust
check_role "$PGSTREAM_TEST_PASSWORD_USER" "$PGSTREAM_TEST_PASSWORD_PASSWORD" password
check_role "$PGSTREAM_TEST_MD5_USER" "$PGSTREAM_TEST_MD5_PASSWORD" md5
check_role "$PGSTREAM_TEST_SCRAM_USER" "$PGSTREAM_TEST_SCRAM_PASSWORD" scram-sha-256
# A wrong password is refused.
if PGPASSWORD=wrong q "host=127.0.0.1 port=$PGSTREAM_TEST_PORT user=$PGSTREAM_TEST_SCRAM_USER dbname=postgres sslmode=disable" -c 'select 1' 2>/dev/null; then
  fail "a wrong SCRAM password was accepted"
fi
# The md5 role really has an MD5 verifier, the scram role a SCRAM one.
verifiers=$(q "$dsn" -c "select rolname || ':' || left(rolpassword, 5) from pg_authid where rolname in ('$PGSTREAM_TEST_MD5_USER','$PGSTREAM_TEST_SCRAM_USER') order by 1")
[[ $verifiers == *"$PGSTREAM_TEST_MD5_USER:md5"* && $verifiers == *"$PGSTREAM_TEST_SCRAM_USER:SCRAM"* ]] || fail "verifiers: $verifiers"
# hostssl-only role: refused in clear, accepted over TLS.
if PGPASSWORD=$PGSTREAM_TEST_SSL_PASSWORD q "host=127.0.0.1 port=$PGSTREAM_TEST_PORT user=$PGSTREAM_TEST_SSL_USER dbname=postgres sslmode=disable" -c 'select 1' 2>/dev/null; then
  fail "the hostssl-only role logged in without TLS"
fi
PGPASSWORD=$PGSTREAM_TEST_SSL_PASSWORD q "host=127.0.0.1 port=$PGSTREAM_TEST_PORT user=$PGSTREAM_TEST_SSL_USER dbname=postgres sslmode=require" -c 'select 1' >/dev/null ||
  fail "the hostssl-only role cannot log in over TLS"
# Unix socket.
[[ $(q "host=$c port=$PGSTREAM_TEST_PORT user=$PGSTREAM_TEST_ADMIN_USER dbname=postgres" -c 'select 2') == 2 ]] || fail "no Unix socket in $c"
# --no-ssl: ssl is off, TLS is refused, plain connections work, no certificate is written.
"$script" stop "$dir" >/dev/null
nossl_dsn=$("$script" start "$dir" --no-ssl)
# shellcheck disable=SC1091
source "$dir/server.env"
[[ $PGSTREAM_TEST_SSL == off && -z $PGSTREAM_TEST_SSLROOTCERT ]] || fail "--no-ssl server.env: ssl=$PGSTREAM_TEST_SSL root=$PGSTREAM_TEST_SSLROOTCERT"
[[ $(q "$nossl_dsn" -c 'show ssl') == off ]] || fail "--no-ssl server has ssl on"
if q "host=127.0.0.1 port=$PGSTREAM_TEST_PORT user=$PGSTREAM_TEST_TRUST_USER dbname=postgres sslmode=require" -c 'select 1' 2>/dev/null; then
  fail "--no-ssl server accepted sslmode=require"
fi
[[ $(q "host=127.0.0.1 port=$PGSTREAM_TEST_PORT user=$PGSTREAM_TEST_TRUST_USER dbname=postgres sslmode=prefer" -c 'select 3') == 3 ]] ||
  fail "--no-ssl server refused sslmode=prefer"
# A second start replaces the first cleanly (no leftover server).
"$script" start "$dir" --cert-tool "$cert_tool" >/dev/null
"$script" stop "$dir"
"$script" status "$dir" >/dev/null && fail "server still running after stop"
echo "scratch-postgres lifecycle: ok"
