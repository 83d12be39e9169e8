#!/usr/bin/env bash
# /explain with the JetStream collector on: a real nats-server with streams
# configured like the incident (one with no retention limit at all) shows up
# in the page's stream table with its size and message count as the server
# reports them (/jsz), and exactly the streams whose config has no limit (the
# server's own config, not cnats's view) carry the "unbounded" badge. Each
# row's consumers cell holds the stream's consumer count, the most
# undelivered messages of one consumer and the sum of unacked ones, as
# /jsz?consumers=true has them.
set -euo pipefail
source "$(dirname "$0")/jetstream_lib.bash"
js_require
start_nats
python3 "$JS_PY" values-setup "$NATS_PORT"
js_exporter "$JS_WORK/exporter.log"
wait_metric "$JS_WORK/m.prom" '^memacct_jetstream_stream_bytes\{.*stream="UNBOUNDED"' 20

curl -fsS "$EXPORTER_URL/explain" > "$JS_WORK/explain.html"
grep -q 'href="explain"' <(curl -fsS "$EXPORTER_URL/") || fail "landing page does not link /explain"
python3 - "$JS_WORK/explain.html" "http://127.0.0.1:$NATS_MON/jsz?streams=true&config=true&consumers=true" <<'PY'
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
cells = {}
for row in page.split('<tr data-stream="')[1:]:
    name, row = row.split('"', 1)[0], row.split("</tr>", 1)[0]
    tds = re.findall(r"<td[^>]*>.*?</td>", row)  # the 8th is the consumers cell
    assert len(tds) == 9, (name, tds)
    m = re.fullmatch(r'<td data-pending="(\d+)" data-ack-pending="(\d+)">(\d+): \1 undelivered, \2 unacked</td>', tds[7])
    assert m or tds[7] == "<td>none</td>", (name, tds[7])
    cells[name] = tuple(int(x) for x in m.group(3, 1, 2)) if m else (0, 0, 0)
with_consumers = 0
for name, s in streams.items():
    cs = s.get("consumer_detail") or []
    want = (len(cs), max((c["num_pending"] for c in cs), default=0),
            sum(c["num_ack_pending"] for c in cs))
    assert cells[name] == want, (name, cells[name], want)
    with_consumers += bool(cs)
assert with_consumers == 2 and cells["WORK"][1] > 0, cells
print("explain page: %d streams, bytes and consumers equal /jsz, unbounded: %s" % (len(rows), sorted(unbounded)))
PY
echo PASS
