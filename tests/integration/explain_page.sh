#!/usr/bin/env bash
# GET /explain in a real browser: the exporter serves the fixture phase
# 6-over-high (a container at memory.high under a 512 MiB limit), headless
# Chromium renders the page through chromedriver (WebDriver over curl), the
# test saves a screenshot and checks the rendered DOM: every bar segment is
# as wide as its bytes over the bar's scale, every mark (working set, RSS,
# memory.high) sits where its bytes put it, rows go by working set, the
# page loads nothing from elsewhere and runs no script, the JetStream part
# says it is not configured, and the container's sentence is the one
# `memacct_exporter explain` prints. The landing page must link to it. It
# does not test the stream table's contents (tests/unit/test_explain.c
# does, with a fake producer).
set -euo pipefail
source "$(dirname "$0")/lib.bash"
for c in chromium chromedriver curl jq base64; do
  command -v "$c" >/dev/null || skip "$c is not installed (Debian packages chromium chromium-driver curl jq)"
done

CID=3b1e0c8a9f7d6e5c4b3a29180f7e6d5c4b3a29180f7e6d5c4b3a29180f7e6d5c
phase="$MEMACCT_FIXTURES/cgroup-v2/6-over-high"
work=$(mktemp -d)
out="${MEMACCT_BUILD:-$work}/explain_page"
mkdir -p "$out"
DRIVER_PID=""
cleanup() {
  if [ -n "${SESSION_URL:-}" ]; then curl -fsS -X DELETE "$SESSION_URL" >/dev/null 2>&1 || true; fi
  if [ -n "$DRIVER_PID" ]; then kill "$DRIVER_PID" 2>/dev/null || true; wait "$DRIVER_PID" 2>/dev/null || true; fi
  stop_exporter
  rm -rf "$work"
}
trap cleanup EXIT

start_exporter "$work/exporter.log" --path.cgroupfs="$phase/sys" --path.procfs="$phase/proc"
code=$(curl -s -o "$out/explain.html" -w '%{http_code} %{content_type}' "$EXPORTER_URL/explain")
case "$code" in
  404*) skip "GET /explain is not served yet (wire explain_page_render() into src/http/http.c)" ;;
  "200 text/html; charset=utf-8") ;;
  *) fail "GET /explain answered $code" ;;
esac
curl -fsS "$EXPORTER_URL/" | grep -F 'href="explain"' >/dev/null || fail "the landing page does not link to explain"

# chromedriver on a free port, Chromium as the brief says.
dport=$(free_port)
chromedriver --port="$dport" --log-path="$out/chromedriver.log" >/dev/null 2>&1 &
DRIVER_PID=$!
DRIVER="http://127.0.0.1:$dport"
for _ in $(seq 1 100); do
  [ "$(curl -fsS "$DRIVER/status" 2>/dev/null | jq -r '.value.ready' 2>/dev/null)" = true ] && break
  kill -0 "$DRIVER_PID" 2>/dev/null || fail "chromedriver exited: $(cat "$out/chromedriver.log")"
  sleep 0.1
done

profile="$work/profile"
mkdir -p "$profile"
caps=$(jq -n --arg dir "$profile" '{capabilities: {alwaysMatch: {browserName: "chrome",
  "goog:chromeOptions": {binary: "/usr/bin/chromium", args: ["--headless", "--no-sandbox",
  "--disable-gpu", "--disable-background-networking", "--disable-component-update",
  "--disable-sync", "--no-first-run", ("--user-data-dir=" + $dir), "--window-size=1600,1400"]}}}}')
[ -x /usr/bin/chromium ] || caps=$(jq 'del(.capabilities.alwaysMatch."goog:chromeOptions".binary)' <<<"$caps")
session=$(curl -fsS -X POST -H 'Content-Type: application/json' -d "$caps" "$DRIVER/session") ||
  fail "no WebDriver session: $(cat "$out/chromedriver.log" | tail -20)"
sid=$(jq -r '.value.sessionId' <<<"$session")
[ -n "$sid" ] && [ "$sid" != null ] || fail "no WebDriver session: $session"
SESSION_URL="$DRIVER/session/$sid"

wd() { # METHOD PATH [JSON]
  curl -fsS -X "$1" -H 'Content-Type: application/json' ${3:+-d "$3"} "$SESSION_URL$2"
}

wd POST /url "$(jq -n --arg u "$EXPORTER_URL/explain" '{url: $u}')" >/dev/null
wd GET /title | jq -e '.value == "memacct_exporter: explain"' >/dev/null || fail "wrong title"

# The screenshot, taken by the test.
wd GET /screenshot | jq -r '.value' | base64 -d > "$out/explain.png"
[ "$(head -c 8 "$out/explain.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] ||
  fail "the screenshot is not a PNG"
[ "$(stat -c %s "$out/explain.png")" -gt 20000 ] || fail "the screenshot is suspiciously small"

# The rendered DOM, measured in the browser.
read -r -d '' measure <<'JS' || true
const rows = [...document.querySelectorAll('#cgroups tbody tr')];
const r = {rows: rows.length, segs: 0, marks: 0, bad: [], order: true, diag: {},
  foreign: document.querySelectorAll('script,link,img,iframe,object,embed,video,audio').length,
  jetstream: (document.getElementById('jetstream-none') || {}).textContent || null,
  highMarks: document.querySelectorAll('.mark.high').length};
let prev = Infinity;
for (const tr of rows) {
  const ws = Number(tr.dataset.workingSet);
  if (ws > prev) r.order = false;
  prev = ws;
  const bar = tr.querySelector('.bar');
  const scale = Number(bar.dataset.scale), width = bar.clientWidth;
  const left = bar.getBoundingClientRect().left + bar.clientLeft;
  if (!(width > 100)) r.bad.push({cgroup: tr.dataset.cgroup, barWidth: width});
  let sum = 0;
  for (const s of bar.querySelectorAll('.seg')) {
    const want = Number(s.dataset.bytes) / scale * width, got = s.getBoundingClientRect().width;
    sum += got;
    r.segs++;
    if (Math.abs(got - want) > 0.5) r.bad.push({cgroup: tr.dataset.cgroup, seg: s.dataset.component, want, got});
  }
  if (sum > width + 0.5) r.bad.push({cgroup: tr.dataset.cgroup, sum, width});
  for (const m of bar.querySelectorAll('.mark')) {
    const want = Math.min(Number(m.dataset.bytes) / scale, 1) * width;
    const got = m.getBoundingClientRect().left - left;
    r.marks++;
    if (Math.abs(got - want) > 0.5) r.bad.push({cgroup: tr.dataset.cgroup, mark: m.className, want, got});
  }
  r.diag[tr.dataset.cgroup] = tr.querySelector('.diag').textContent;
}
return r;
JS
wd POST /execute/sync "$(jq -n --arg s "$measure" '{script: $s, args: []}')" | jq '.value' > "$out/dom.json"
jq -e '.rows == 5' "$out/dom.json" >/dev/null || fail "want 5 cgroup rows: $(cat "$out/dom.json")"
jq -e '.segs == 30 and .marks >= 10' "$out/dom.json" >/dev/null || fail "segments or marks missing: $(cat "$out/dom.json")"
jq -e '.bad == []' "$out/dom.json" >/dev/null || fail "bars do not match the numbers: $(jq -c .bad "$out/dom.json")"
jq -e '.order' "$out/dom.json" >/dev/null || fail "rows not sorted by working set"
jq -e '.foreign == 0' "$out/dom.json" >/dev/null || fail "the page loads scripts or other resources"
jq -e '.highMarks == 1' "$out/dom.json" >/dev/null || fail "want the container's memory.high mark"
jq -e '.jetstream | startswith("JetStream not configured")' "$out/dom.json" >/dev/null ||
  fail "JetStream part: $(jq -r .jetstream "$out/dom.json")"

# The page and the terminal say the same about the container.
cli=$("$MEMACCT_BIN" explain --path.cgroupfs="$phase/sys" --path.procfs="$phase/proc" "$CID" |
  sed -n 's/^  -> //p')
page=$(jq -r --arg id "$CID" '.diag | to_entries[] | select(.key | contains($id)) | .value' "$out/dom.json")
[ -n "$cli" ] && [ "$cli" = "$page" ] || fail "page says \"$page\", explain says \"$cli\""
case "$page" in
  "usage 384 MiB is 99% of memory.high (384 MiB), but 299 MiB of it is page cache no process maps"*) ;;
  *) fail "unexpected diagnosis: $page" ;;
esac

echo "/explain in headless Chromium: $(jq -r '"\(.rows) rows, \(.segs) segments, \(.marks) marks"' "$out/dom.json") match the numbers; screenshot $out/explain.png"
echo PASS
