#!/usr/bin/env bash
# Content negotiation on /metrics: OpenMetrics 1.0 when Accept prefers it
# (checked with Debian python3-prometheus-client's strict OpenMetrics parser), text 0.0.4
# otherwise, gzip when Accept-Encoding allows it (the decompressed body is the
# same exposition). Every cgroup family is on (--collector.cgroup.families=all),
# so the strict parser sees every family the cgroup collector can make.
set -euo pipefail
source "$(dirname "$0")/lib.bash"
/usr/bin/python3 -c "import prometheus_client.openmetrics.parser" 2>/dev/null ||
  skip "python3-prometheus-client not installed"
work=$(mktemp -d)
trap 'stop_exporter; rm -rf "$work"' EXIT
f="$MEMACCT_FIXTURES/cgroup-v2/6-over-high"
start_exporter "$work/log" --path.cgroupfs="$f/sys" --path.procfs="$f/proc" \
  --collector.cgroup.families=all

prom_accept='application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1'
ctype=$(curl -fsS -H "Accept: $prom_accept" -o "$work/om.txt" -w '%{content_type}' "$EXPORTER_URL/metrics")
[ "$ctype" = "application/openmetrics-text; version=1.0.0; charset=utf-8" ] || fail "OpenMetrics Content-Type is '$ctype'"
tail -n1 "$work/om.txt" | grep -qx '# EOF' || fail "OpenMetrics output does not end with # EOF"
grep -q '^# TYPE memacct_cgroup_memory_events counter$' "$work/om.txt" || fail "counter TYPE keeps _total in OpenMetrics"
/usr/bin/python3 - "$work/om.txt" <<'PY'
import sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families
fams = list(text_string_to_metric_families(open(sys.argv[1]).read()))
byname = {f.name: f for f in fams}
ev = byname["memacct_cgroup_memory_events"]
assert ev.type == "counter", ev.type
ws = [s for s in byname["memacct_cgroup_memory_working_set_bytes"].samples if s.labels.get("container_id", "").startswith("3b1e0c8a")]
assert len(ws) == 1 and ws[0].value == 198369280, ws
print("OpenMetrics: %d families parsed strictly" % len(fams))
PY

ctype=$(curl -fsS -H 'Accept: text/plain;version=0.0.4' -o "$work/text.txt" -w '%{content_type}' "$EXPORTER_URL/metrics")
[ "$ctype" = "text/plain; version=0.0.4; charset=utf-8" ] || fail "text Content-Type is '$ctype'"
grep -q '^# EOF' "$work/text.txt" && fail "text output has # EOF"

enc=$(curl -fsS -H 'Accept-Encoding: gzip' -o "$work/body.gz" -w '%header{content-encoding}' "$EXPORTER_URL/metrics")
[ "$enc" = gzip ] || fail "Content-Encoding is '$enc'"
gzip -dc "$work/body.gz" > "$work/gunzipped.txt" || fail "body is not gzip"
grep -q '^memacct_cgroup_memory_working_set_bytes{.*container_id="3b1e0c8a.*} 198369280$' "$work/gunzipped.txt" ||
  fail "gunzipped body lacks the container's working set"
echo "gzip: $(stat -c %s "$work/body.gz") bytes for $(stat -c %s "$work/gunzipped.txt")"
echo PASS
