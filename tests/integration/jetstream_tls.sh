#!/usr/bin/env bash
# TLS to NATS with --nats.tls.ca/cert/key against a nats-server that requires
# and verifies client certificates (a throw-away CA made here with openssl):
# up 1 and values equal /jsz. Without the client certificate, and with a CA
# that did not sign the server's, up 0 with one log line saying why.
set -euo pipefail
source "$(dirname "$0")/jetstream_lib.bash"
js_require
command -v openssl >/dev/null || skip "openssl not installed"
m="$JS_WORK/metrics.prom"
d="$JS_WORK/pki"
mkdir -p "$d"

mkcert() {  # NAME SIGNING_CA EXTENSIONS
  openssl req -new -newkey rsa:2048 -nodes -keyout "$d/$1.key" -out "$d/$1.csr" \
    -subj "/CN=$1" 2>/dev/null
  printf 'basicConstraints=CA:FALSE\n%s\n' "$3" > "$d/$1.ext"
  openssl x509 -req -in "$d/$1.csr" -CA "$d/$2.pem" -CAkey "$d/$2.key" -CAcreateserial \
    -days 2 -out "$d/$1.pem" -extfile "$d/$1.ext" 2>/dev/null
}
for ca in ca otherca; do
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/$ca.key" -out "$d/$ca.pem" \
    -days 2 -subj "/CN=memacct test $ca" 2>/dev/null
done
mkcert server ca $'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth'
mkcert client ca 'extendedKeyUsage=clientAuth'

printf 'tls {\n  cert_file: "%s"\n  key_file: "%s"\n  ca_file: "%s"\n  verify: true\n}\n' \
  "$d/server.pem" "$d/server.key" "$d/ca.pem" > "$JS_WORK/tls.conf"
start_nats "$JS_WORK/tls.conf"
NATS_URL="tls://127.0.0.1:$NATS_PORT"
python3 "$JS_PY" --tls-ca "$d/ca.pem" --tls-cert "$d/client.pem" --tls-key "$d/client.key" \
  values-setup "$NATS_PORT"

js_exporter "$JS_WORK/tls.log" --nats.tls.ca="$d/ca.pem" --nats.tls.cert="$d/client.pem" \
  --nats.tls.key="$d/client.key"
wait_metric "$m" '^memacct_jetstream_up 1$' 15 || { cat "$JS_WORK/tls.log"; fail "not up over TLS"; }
wait_fresh_poll "$m" "$(now)" 20 || fail "no fresh poll"
python3 "$JS_PY" compare "$NATS_MON" "$m" "$(now)" || fail "values differ from /jsz over TLS"
stop_exporter
echo "TLS with client certificate: up 1, values equal /jsz"

refused() {  # LOG WHAT ARGS...
  local log=$1 what=$2
  shift 2
  js_exporter "$log" "$@"
  wait_metric "$m" '^memacct_jetstream_poll_errors_total [3-9]' 15 || fail "$what: polls did not fail"
  grep -q '^memacct_jetstream_up 0$' "$m" || fail "$what: up is not 0"
  stop_exporter
  local n
  n=$(grep -c 'JetStream poll failed' "$log" || true)
  [ "$n" = 1 ] || { cat "$log"; fail "$what: $n 'poll failed' lines"; }
  echo "$what: up 0, logged once: $(grep 'JetStream poll failed' "$log" | sed 's/.*kind=/kind=/')"
}
refused "$JS_WORK/nocert.log" "no client certificate" --nats.tls.ca="$d/ca.pem"
refused "$JS_WORK/otherca.log" "wrong CA" --nats.tls.ca="$d/otherca.pem" \
  --nats.tls.cert="$d/client.pem" --nats.tls.key="$d/client.key"
echo PASS
