#!/usr/bin/env bash
# --web.config.file end to end with the real binary: HTTPS with a self-signed
# certificate made here (openssl), Basic auth with a bcrypt hash made here
# (python3's crypt module, else htpasswd from apache2-utils, else mkpasswd
# from whois), response headers, TLS version limits, start-up errors, and a
# real Prometheus (Debian's prometheus) scraping over HTTPS with basic_auth
# and tls_config.ca_file until up{job="memacct"} == 1 (and 0 for a job with
# the wrong password), bcrypt costs above 12 refused, SIGHUP reloading the
# config (users, headers, certificate; a bad file keeps the old one), and
# SIGTERM during a burst of 200 wrong passwords. Everything listens on
# 127.0.0.1.
set -euo pipefail
source "$(dirname "$0")/lib.bash"

command -v curl >/dev/null || skip "curl not installed"
command -v openssl >/dev/null || skip "openssl not installed"
command -v prometheus >/dev/null || skip "prometheus not installed"
py=""
for p in /usr/bin/python3 python3; do
  if "$p" -W ignore -c 'import crypt' 2>/dev/null; then py=$p; break; fi
done

# bcrypt_hash PASSWORD: a $2b$/$2y$ hash at cost 8.
bcrypt_hash() {
  if [ -n "$py" ]; then
    "$py" -W ignore -c 'import crypt, sys
print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1 << 8)))' "$1"
  elif command -v htpasswd >/dev/null; then
    htpasswd -nbBC 8 "" "$1" | tr -d ':\n'; echo
  elif command -v mkpasswd >/dev/null; then
    mkpasswd -m bcrypt -R 8 "$1"
  else
    return 1
  fi
}
hash=$(bcrypt_hash 'correct horse') || skip "no bcrypt tool (python3 crypt, htpasswd or mkpasswd)"
case "$hash" in \$2[aby]\$08\$*) ;; *) fail "bcrypt tool printed '$hash'" ;; esac

work=$(mktemp -d)
PROM_PID=""
cleanup() {
  stop_exporter
  if [ -n "$PROM_PID" ]; then kill -TERM "$PROM_PID" 2>/dev/null || true; wait "$PROM_PID" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
fixture="$MEMACCT_FIXTURES/cgroup-v2/3-read-twice"
paths=(--path.cgroupfs="$fixture/sys" --path.procfs="$fixture/proc")

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
  -subj /CN=localhost -addext 'subjectAltName=IP:127.0.0.1,DNS:localhost' \
  -keyout "$work/key.pem" -out "$work/cert.pem" 2>"$work/openssl.log" ||
  { cat "$work/openssl.log"; fail "openssl could not make a certificate"; }

# Relative paths: resolved against the config file's directory.
cat >"$work/web.yml" <<EOF
tls_server_config:
  cert_file: cert.pem
  key_file: key.pem
http_server_config:
  http2: true
  headers:
    X-Content-Type-Options: nosniff
    X-Frame-Options: deny
basic_auth_users:
  prom: '$hash'
EOF

# start_tls_exporter LOGFILE ARGS...: like lib.bash's start_exporter, but
# waits for https://.../healthz (which needs no credentials).
start_tls_exporter() {
  local log=$1; shift
  local port; port=$(free_port)
  "$MEMACCT_BIN" --web.listen-address=127.0.0.1:"$port" "$@" >"$log" 2>&1 &
  EXPORTER_PID=$!
  EXPORTER_URL="https://127.0.0.1:$port"
  EXPORTER_PORT=$port
  for _ in $(seq 1 100); do
    curl -fsS --cacert "$work/cert.pem" "$EXPORTER_URL/healthz" >/dev/null 2>&1 && return 0
    kill -0 "$EXPORTER_PID" 2>/dev/null || { cat "$log"; fail "exporter exited at start"; }
    sleep 0.05
  done
  cat "$log"; fail "exporter did not answer on $EXPORTER_URL"
}

# code PATH [CURL ARGS...]: the HTTP status over HTTPS (000: no HTTP answer).
code() {
  local path=$1; shift
  curl -sS --cacert "$work/cert.pem" -o "$work/body" -D "$work/headers" -w '%{http_code}' \
    "$@" "$EXPORTER_URL$path" 2>"$work/curl.err" || true
}

start_tls_exporter "$work/exporter.log" --web.config.file="$work/web.yml" "${paths[@]}"
grep -q 'msg="web config loaded".*tls=true.*basic_auth_users=1' "$work/exporter.log" ||
  { cat "$work/exporter.log"; fail "no 'web config loaded' line"; }
grep -q 'http2 ignored' "$work/exporter.log" || fail "http2: true was not noted as ignored"

c=$(code /healthz); [ "$c" = 200 ] || fail "/healthz without credentials: $c"
grep -qi '^X-Frame-Options: deny' "$work/headers" || fail "no X-Frame-Options on /healthz"
echo "ok: /healthz over HTTPS, no credentials needed"

c=$(code /metrics); [ "$c" = 401 ] || fail "/metrics without credentials: $c"
grep -qi '^WWW-Authenticate: Basic realm=' "$work/headers" || { cat "$work/headers"; fail "401 without WWW-Authenticate"; }
grep -qi '^X-Content-Type-Options: nosniff' "$work/headers" || fail "no X-Content-Type-Options on the 401"
c=$(code /metrics -u 'prom:wrong horse'); [ "$c" = 401 ] || fail "wrong password: $c"
c=$(code /metrics -u 'eve:correct horse'); [ "$c" = 401 ] || fail "unknown user: $c"
c=$(code /metrics -H 'Authorization: Basic !!!'); [ "$c" = 401 ] || fail "malformed Authorization: $c"
c=$(code / ); [ "$c" = 401 ] || fail "landing page without credentials: $c"
c=$(code /nonexistent); [ "$c" = 401 ] || fail "404 path without credentials: $c (auth comes first)"
echo "ok: 401 with WWW-Authenticate without, with wrong and with unknown credentials"

for _ in 1 2; do # the second one is a cache hit
  c=$(code /metrics -u 'prom:correct horse'); [ "$c" = 200 ] || fail "right credentials: $c"
done
grep -q '^memacct_cgroup_memory_working_set_bytes{' "$work/body" || fail "no metrics in the authenticated scrape"
grep -qi '^X-Frame-Options: deny' "$work/headers" || fail "no X-Frame-Options on /metrics"
c=$(code / -u 'prom:correct horse'); [ "$c" = 200 ] || fail "landing page with credentials: $c"
echo "ok: 200 with the right credentials"

# Plain HTTP to the TLS port gets no HTTP answer.
rc=0; out=$(curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$EXPORTER_PORT/healthz" 2>/dev/null) || rc=$?
[ "$rc" -ne 0 ] && [ "$out" != 200 ] || fail "plain HTTP to the TLS port answered $out"
# An untrusted certificate is refused by a verifying client.
curl -fsS -o /dev/null "$EXPORTER_URL/healthz" 2>/dev/null && fail "curl trusted a self-signed cert without --cacert"
echo "ok: plain HTTP and unverified TLS fail"

# A real Prometheus scraping with basic_auth and tls_config.ca_file, and a
# control job with the wrong password.
pport=$(free_port)
cat >"$work/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: memacct
    scheme: https
    basic_auth:
      username: prom
      password: 'correct horse'
    tls_config:
      ca_file: $work/cert.pem
    static_configs:
      - targets: ['127.0.0.1:$EXPORTER_PORT']
  - job_name: memacct_wrong_password
    scheme: https
    basic_auth:
      username: prom
      password: 'wrong horse'
    tls_config:
      ca_file: $work/cert.pem
    static_configs:
      - targets: ['127.0.0.1:$EXPORTER_PORT']
EOF
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
  --web.listen-address=127.0.0.1:"$pport" >"$work/prometheus.log" 2>&1 &
PROM_PID=$!
# up_of JOB: the value of up{job=JOB}, or nothing yet.
up_of() {
  curl -fsS -G --data-urlencode "query=up{job=\"$1\"}" "http://127.0.0.1:$pport/api/v1/query" 2>/dev/null |
    /usr/bin/python3 -c 'import json, sys
r = json.load(sys.stdin)["data"]["result"]
print(r[0]["value"][1] if r else "")' 2>/dev/null || true
}
up=""; up_wrong=""
for _ in $(seq 1 150); do
  kill -0 "$PROM_PID" 2>/dev/null || { tail -20 "$work/prometheus.log"; fail "prometheus exited"; }
  up=$(up_of memacct); up_wrong=$(up_of memacct_wrong_password)
  [ "$up" = 1 ] && [ -n "$up_wrong" ] && break
  sleep 0.2
done
[ "$up" = 1 ] || { tail -20 "$work/prometheus.log"; fail "up{job=\"memacct\"} is '$up', want 1"; }
[ "$up_wrong" = 0 ] || fail "up{job=\"memacct_wrong_password\"} is '$up_wrong', want 0"
curl -fsS "http://127.0.0.1:$pport/api/v1/targets" | grep '401 Unauthorized' >/dev/null ||
  fail "Prometheus does not report 401 for the wrong password"
echo "ok: Prometheus scrapes over HTTPS with basic_auth (up=1; wrong password up=0, 401)"
kill -TERM "$PROM_PID"; wait "$PROM_PID" 2>/dev/null || true; PROM_PID=""
stop_exporter

# min_version: TLS13 refuses a TLS 1.2 client; no users means no auth.
cat >"$work/tls13.yml" <<EOF
tls_server_config:
  cert_file: $work/cert.pem
  key_file: $work/key.pem
  min_version: TLS13
EOF
start_tls_exporter "$work/tls13.log" --web.config.file="$work/tls13.yml" "${paths[@]}"
c=$(code /metrics --tlsv1.3); [ "$c" = 200 ] || fail "TLS 1.3 client on a TLS13-only server: $c"
c=$(code /metrics --tlsv1.2 --tls-max 1.2); [ "$c" = 000 ] || fail "TLS 1.2 client on a TLS13-only server: $c"
stop_exporter
echo "ok: min_version TLS13 refuses TLS 1.2"

# Start-up errors: one line naming the file and the field, non-zero exit.
expect_error() {  # EXPECTED_SUBSTRING CONFIG_FILE
  local want=$1 file=$2 rc=0
  "$MEMACCT_BIN" --web.listen-address=127.0.0.1:"$(free_port)" --web.config.file="$file" \
    "${paths[@]}" >"$work/out" 2>"$work/err" </dev/null || rc=$?
  [ "$rc" -ne 0 ] || fail "exit 0 with $file"
  [ "$rc" -lt 128 ] || fail "crashed (rc $rc) with $file"
  grep -qF -- "$want" "$work/err" || { cat "$work/err"; fail "no '$want' in the error for $file"; }
  [ "$(wc -l <"$work/err")" -eq 1 ] || { cat "$work/err"; fail "more than one line for $file"; }
  echo "ok: $(cat "$work/err")"
}
expect_error "--web.config.file=$work/missing.yml: cannot read: No such file" "$work/missing.yml"
printf 'tls_server_config:\n  cert_file: nope.pem\n  key_file: key.pem\n' >"$work/bad1.yml"
expect_error "line 2: tls_server_config.cert_file: cannot read $work/nope.pem" "$work/bad1.yml"
printf 'basic_auth_users:\n  prom: plaintext\n' >"$work/bad2.yml"
expect_error "line 2: basic_auth_users.prom: not a bcrypt hash" "$work/bad2.yml"
printf 'tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n  cipher_suites: [TLS_AES_128_GCM_SHA256]\n' >"$work/bad3.yml"
expect_error "tls_server_config.cipher_suites: not supported" "$work/bad3.yml"
printf 'basic_auth_users: [\n' >"$work/bad4.yml"
expect_error "YAML" "$work/bad4.yml"
# A key that does not belong to the certificate: GnuTLS' reason, named.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=other \
  -keyout "$work/other-key.pem" -out "$work/other-cert.pem" 2>/dev/null
printf 'tls_server_config:\n  cert_file: cert.pem\n  key_file: other-key.pem\n' >"$work/bad5.yml"
expect_error "tls_server_config: cannot start HTTPS" "$work/bad5.yml"
# Fail closed: what a config file can look like after a crash or a bad copy
# never starts the exporter without TLS or auth.
head -c 4096 /dev/zero >"$work/zeros.yml"
expect_error "--web.config.file=$work/zeros.yml: byte 0: a NUL byte" "$work/zeros.yml"
{ printf 'http_server_config: {}\n\0'; printf 'basic_auth_users:\n  prom: %s\n' "$hash"; } >"$work/nul.yml"
expect_error "byte 23: a NUL byte" "$work/nul.yml"
printf 'basic_auth_users:\n  pr\xffom: x\n' >"$work/utf8.yml"
expect_error "byte 22: invalid UTF-8" "$work/utf8.yml"
: >"$work/empty.yml"
expect_error "the file is empty" "$work/empty.yml"
mkfifo "$work/fifo.yml"
expect_error "--web.config.file=$work/fifo.yml: cannot read: not a regular file" "$work/fifo.yml"
mkfifo "$work/cert-fifo.pem"
printf 'tls_server_config:\n  cert_file: cert-fifo.pem\n  key_file: key.pem\n' >"$work/bad6.yml"
expect_error "cert_file: cannot read $work/cert-fifo.pem: not a regular file" "$work/bad6.yml"
# bcrypt costs above 12 are refused at start: one login at cost 31 would pin
# a core for hours (cost 12 takes about 0.2 s here, each step doubles it).
printf "basic_auth_users:\n  prom: '%s'\n" "\$2b\$13\$${hash:7}" >"$work/cost13.yml"
expect_error "line 2: basic_auth_users.prom: bcrypt cost outside 04..12" "$work/cost13.yml"
printf "basic_auth_users:\n  prom: '%s'\n" "\$2b\$31\$${hash:7}" >"$work/cost31.yml"
expect_error "line 2: basic_auth_users.prom: bcrypt cost outside 04..12" "$work/cost31.yml"

# --- SIGHUP re-reads the web config -------------------------------------------
# New users, headers and certificate take effect; a bad file keeps the old
# config and logs one line naming the problem.
hash2=$(bcrypt_hash 'battery staple')
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
  -subj /CN=localhost -addext 'subjectAltName=IP:127.0.0.1,DNS:localhost' \
  -keyout "$work/key2.pem" -out "$work/cert2.pem" 2>/dev/null
cp "$work/web.yml" "$work/reload.yml"
start_tls_exporter "$work/reload.log" --web.config.file="$work/reload.yml" "${paths[@]}"
c=$(code /metrics -u 'prom:correct horse'); [ "$c" = 200 ] || fail "before the reload: $c"
# wait_log COUNT PATTERN: until the log has COUNT lines matching PATTERN.
wait_log() {
  for _ in $(seq 1 100); do
    [ "$(grep -c -- "$2" "$work/reload.log" || true)" -ge "$1" ] && return 0
    sleep 0.05
  done
  cat "$work/reload.log"; fail "no $1 log line(s) matching '$2'"
}
cat >"$work/reload.yml" <<EOF
tls_server_config:
  cert_file: cert2.pem
  key_file: key2.pem
http_server_config:
  headers:
    X-Frame-Options: sameorigin
basic_auth_users:
  prom2: '$hash2'
EOF
kill -HUP "$EXPORTER_PID"
wait_log 1 'msg="web config reloaded".*basic_auth_users=1'
# code2 PATH [CURL ARGS...]: like code, trusting the new certificate.
code2() {
  local path=$1; shift
  curl -sS --cacert "$work/cert2.pem" -o "$work/body" -D "$work/headers" -w '%{http_code}' \
    "$@" "$EXPORTER_URL$path" 2>"$work/curl.err" || true
}
c=$(code2 /metrics -u 'prom2:battery staple'); [ "$c" = 200 ] || fail "new user after SIGHUP: $c"
grep -qi '^X-Frame-Options: sameorigin' "$work/headers" || fail "the new header was not sent"
c=$(code2 /metrics -u 'prom:correct horse'); [ "$c" = 401 ] || fail "removed user after SIGHUP: $c"
c=$(code /healthz); [ "$c" = 000 ] || fail "the old certificate is still served ($c)"
echo "ok: SIGHUP: new user, header and certificate served, the old ones gone"
printf 'basic_auth_users:\n  prom3: nothash\n' >"$work/reload.yml"
kill -HUP "$EXPORTER_PID"
wait_log 1 'msg="web config reload failed; keeping the previous one"'
grep -q "reload failed.*$work/reload.yml: line 2: basic_auth_users.prom3: not a bcrypt hash" \
  "$work/reload.log" || { cat "$work/reload.log"; fail "the failed reload does not name the problem"; }
head -c 4096 /dev/zero >"$work/reload.yml"
kill -HUP "$EXPORTER_PID"
wait_log 2 'msg="web config reload failed; keeping the previous one"'
grep -q "reload failed.*$work/reload.yml: byte 0: a NUL byte" "$work/reload.log" ||
  fail "the failed reload does not name the NUL byte"
c=$(code2 /metrics -u 'prom2:battery staple'); [ "$c" = 200 ] || fail "after bad reloads: $c"
c=$(code2 /metrics); [ "$c" = 401 ] || fail "after bad reloads, no credentials: $c (auth lost?)"
kill -0 "$EXPORTER_PID" || fail "the exporter exited after a bad reload"
echo "ok: SIGHUP with a bad file keeps the previous config: $(grep -c 'reload failed' "$work/reload.log") failure lines"
stop_exporter

# --- SIGTERM during a burst of wrong passwords (cost 10) ----------------------
# 200 requests with a wrong password at once: at most 2 bcrypt runs at once,
# 8 more wait, the rest get 503 at once; a cached login is answered
# meanwhile; SIGTERM ends the exporter within 2 s (it took 14.9 s with one
# bcrypt at a time and a thread per connection).
if [ -n "$py" ]; then
  hash10=$("$py" -W ignore -c 'import crypt
print(crypt.crypt("correct horse", crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1 << 10)))')
else
  hash10=$(htpasswd -nbBC 10 "" 'correct horse' 2>/dev/null | tr -d ':\n' || mkpasswd -m bcrypt -R 10 'correct horse')
fi
printf "basic_auth_users:\n  prom: '%s'\n" "$hash10" >"$work/burst.yml"
start_exporter "$work/burst.log" --web.config.file="$work/burst.yml" "${paths[@]}"
curl -fsS -o /dev/null -u 'prom:correct horse' "$EXPORTER_URL/metrics" || fail "login before the burst"
python3 - "${EXPORTER_URL##*:}" >"$work/burst.out" 2>&1 <<'PY' &
import base64, socket, sys, threading
port = int(sys.argv[1])
auth = base64.b64encode(b"prom:wrong horse").decode()
codes = {}
lock = threading.Lock()
def one():
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.sendall(("GET /metrics HTTP/1.1\r\nHost: x\r\nAuthorization: Basic %s\r\n\r\n" % auth).encode())
        line = s.recv(64).split(b"\r\n")[0].decode() or "closed"
    except OSError as e:
        line = type(e).__name__
    code = line.split(" ")[1] if line.startswith("HTTP/") else line
    with lock:
        codes[code] = codes.get(code, 0) + 1
ts = [threading.Thread(target=one) for _ in range(200)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print("burst of 200 wrong passwords:", ", ".join("%s=%d" % kv for kv in sorted(codes.items())))
PY
burst=$!
sleep 0.3
cached_ms=$(curl -sS -o /dev/null -u 'prom:correct horse' -w '%{http_code} %{time_total}' \
  "$EXPORTER_URL/metrics" | awk '{printf "%s %.0f", $1, $2 * 1000}')
t0=$(date +%s.%N)
kill -TERM "$EXPORTER_PID"
rc=0; wait "$EXPORTER_PID" || rc=$?
t1=$(date +%s.%N)
EXPORTER_PID=""
wait "$burst" || true
took=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", b - a}')
echo "$(cat "$work/burst.out"); a cached login during it: HTTP ${cached_ms% *} in ${cached_ms#* } ms;" \
  "SIGTERM to exit: $took s (status $rc)"
[ "$rc" = 0 ] || fail "exit status $rc after SIGTERM"
[ "${cached_ms% *}" = 200 ] || fail "a cached login failed during the burst"
[ "${cached_ms#* }" -lt 1000 ] || fail "a cached login waited behind the burst"
awk -v t="$took" 'BEGIN {exit !(t < 2.0)}' || fail "SIGTERM took $took s during a login burst"
grep -q '503=' "$work/burst.out" || fail "no login was refused with 503: bcrypt is not bounded"
echo PASS
