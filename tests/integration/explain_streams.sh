#!/usr/bin/env bash
# /explain with the JetStream collector on: a real nats-server with streams
# configured like the incident (one with no retention limit at all) shows up
# in the page's stream table with its size and message count as the server
# reports them (/jsz), and exactly the streams whose config has no limit (the
# server's own config, not cnats's view) carry the "unbounded" badge.
set -euo pipefail
source "$(dirname "$0")/jetstream_lib.bash"
js_require
start_nats
python3 "$JS_PY" values-setup "$NATS_PORT"
js_exporter "$JS_WORK/exporter.log"
wait_metric "$JS_WORK/m.prom" '^memacct_jetstream_stream_bytes\{.*stream="UNBOUNDED"' 20

curl -fsS "$EXPORTER_URL/explain" > "$JS_WORK/explain.html"
grep -q 'href="explain"' <(curl -fsS "$EXPORTER_URL/") || fail "landing page does not link /explain"
python3 - "$JS_WORK/explain.html" "http://127.0.0.1:$NATS_MON/jsz?streams=true&config=true" <<'PY'
import json, re, sys, urllib.request
page = open(sys.argv[1]).read()
jsz = json.load(urllib.request.urlopen(sys.argv[2]))
streams = {s["name"]: s for a in jsz["account_details"] for s in a["stream_detail"]}
rows = dict(re.findall(r'<tr data-stream="([^"]+)" data-bytes="(\d+)"', page))
unbounded = set(re.findall(r'<tr data-stream="([^"]+)" data-bytes="\d+" class="unbounded"', page))
assert set(rows) == set(streams), (sorted(rows), sorted(streams))
for name, s in streams.items():
    assert int(rows[name]) == s["state"]["bytes"], (name, rows[name], s["state"]["bytes"])
def is_unbounded(c):
    return (c.get("retention", "limits") == "limits" and not c.get("sealed")
            and c.get("max_age", 0) <= 0 and c.get("max_bytes", -1) <= 0
            and c.get("max_msgs", -1) <= 0)
want = {n for n, s in streams.items() if is_unbounded(s["config"])}
assert "UNBOUNDED" in want and "SEALED" not in want, want
assert unbounded == want, (unbounded, want)
assert page.count('<span class="badge">unbounded</span>') == len(want)
print("explain page: %d streams, bytes equal /jsz, unbounded: %s" % (len(rows), sorted(unbounded)))
PY
echo PASS
