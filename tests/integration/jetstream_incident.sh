#!/usr/bin/env bash
# The incident both halves of the exporter exist for, live on this machine's
# cgroup v1 memory controller: nats-server in a fresh memory cgroup, a
# file-storage stream with no max_age, no max_bytes and no max_msgs, 96 MiB
# published into it, then read back the way a consumer catching up does.
# The scrapes must tell the story: the stream is exported as unbounded with
# the bytes the server reports (/jsz); the cgroup's page cache grew with the
# stream; written once it sits on the inactive list (the working set hardly
# moves), read back it is active and the working set grows past what the
# processes' anonymous memory explains. explain --files then names the
# store's block files as what holds that page cache. The numbers are
# printed. Skips where
# no writable v1 memory controller exists.
set -euo pipefail
source "$(dirname "$0")/jetstream_lib.bash"
need_promtool

mnt=$(awk '$3=="cgroup" && $4 ~ /(^|,)memory(,|$)/ {print $2; exit}' /proc/mounts)
[ -n "$mnt" ] || skip "no cgroup v1 memory controller mounted"
own=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ {print $3; exit}' /proc/self/cgroup)
parent="$mnt$own"
[ -w "$parent" ] || skip "cgroup $parent is not writable (run as root)"
js_require
name="memacct-js-incident-$$"
cg="$parent/$name"
incident_cleanup() {
  set +e
  stop_exporter
  stop_nats
  if [ -d "$cg" ]; then
    for p in $(cat "$cg/cgroup.procs" 2>/dev/null); do echo "$p" > "$parent/cgroup.procs"; done
    echo 0 > "$cg/memory.force_empty" 2>/dev/null
    rmdir "$cg" 2>/dev/null
  fi
  rm -rf "$JS_WORK"
}
trap incident_cleanup EXIT
mkdir "$cg" || skip "cannot create a cgroup below $parent"
# The store on a disk-backed filesystem, so its pages are page cache.
JS_WORK_DISK=$(mktemp -d /var/tmp/memacct-js.XXXXXX)
JS_STORE="$JS_WORK_DISK/store"
trap 'incident_cleanup; rm -rf "$JS_WORK_DISK"' EXIT

start_nats
# Before the stream exists: its pages will be charged to the new cgroup.
echo "$NATS_PID" > "$cg/cgroup.procs"
python3 - "$NATS_PORT" "$JS_PY" <<'EOF'
import sys, importlib.util
spec = importlib.util.spec_from_file_location("jn", sys.argv[2]); jn = importlib.util.module_from_spec(spec)
spec.loader.exec_module(jn)
n = jn.Nats(int(sys.argv[1]))
n.js("STREAM.CREATE.INCIDENT", {"name": "INCIDENT", "subjects": ["incident.>"], "storage": "file"})
EOF

sel="cgroup=\"$own/$name\""
[ "$own" = / ] && sel="cgroup=\"/$name\""
start_exporter "$JS_WORK/exporter.log" --nats.url="$NATS_URL" --nats.poll-interval=1 \
  --collector.cgroup.include="/$name\$" --path.cgroupfs="$mnt" --no-collector.node
m="$JS_WORK/metrics.prom"
snapshot() {  # FILE SINCE -> "stream_bytes page_cache working_set rss_anon"
  wait_fresh_poll "$1" "$2" 30 || fail "no fresh JetStream poll"
  local sb fa fin ws ra
  sb=$(value "$1" memacct_jetstream_stream_bytes 'stream="INCIDENT"')
  fa=$(value "$1" memacct_cgroup_memory_bytes "$sel" 'component="file_active"')
  fin=$(value "$1" memacct_cgroup_memory_bytes "$sel" 'component="file_inactive"')
  ws=$(value "$1" memacct_cgroup_memory_working_set_bytes "$sel")
  ra=$(value "$1" memacct_cgroup_process_rss_bytes "$sel" 'component="anon"')
  echo "$sb $((fa + fin)) $ws $ra"
}
read -r sb0 pc0 ws0 ra0 < <(snapshot "$JS_WORK/before.prom" "$(now)")

python3 "$JS_PY" publish-bulk "$NATS_PORT" incident.orders 192 524288
sync
read -r sb1 pc1 ws1 ra1 < <(snapshot "$JS_WORK/written.prom" "$(now)")
# A consumer catching up: the server reads the blocks back.
python3 "$JS_PY" read-back "$NATS_PORT" INCIDENT 2
read -r sb2 pc2 ws2 ra2 < <(snapshot "$m" "$(now)")
python3 "$JS_PY" compare "$NATS_MON" "$m" "$(now)" || fail "values differ from /jsz"
[ "$(value "$m" memacct_jetstream_stream_retention_unbounded 'stream="INCIDENT"')" = 1 ] ||
  fail "the stream is not flagged unbounded"

MiB=$((1024 * 1024))
echo "before:      stream_bytes=$sb0 page_cache=$pc0 working_set=$ws0 rss_anon=$ra0"
echo "written:     stream_bytes=$sb1 page_cache=$pc1 working_set=$ws1 rss_anon=$ra1"
echo "read back:   stream_bytes=$sb2 page_cache=$pc2 working_set=$ws2 rss_anon=$ra2"
echo "delta:       stream=$(((sb2 - sb0) / MiB)) MiB page_cache=$(((pc2 - pc0) / MiB)) MiB" \
  "working_set=$(((ws1 - ws0) / MiB)) MiB written, $(((ws2 - ws0) / MiB)) MiB read back," \
  "rss_anon=$(((ra2 - ra0) / MiB)) MiB"
[ $((sb2 - sb0)) -ge $((96 * MiB)) ] || fail "the stream grew by less than 96 MiB"
[ $((pc2 - pc0)) -ge $((64 * MiB)) ] || fail "page cache grew by less than 64 MiB for 96 MiB stored"
[ $((ws2 - ws0)) -ge $((64 * MiB)) ] || fail "working set grew by less than 64 MiB once read back"
[ $((pc2 - pc0)) -gt $((ra2 - ra0)) ] || fail "the growth is anonymous memory, not page cache"
promtool check metrics < "$m" || fail "promtool complained"

# Whose page cache? explain --files names the store's block files: the one
# nats-server holds open by itself, and with --files-under the store every
# block, which together hold the stream's bytes in page cache.
rel="$own/$name"; [ "$own" = / ] && rel="/$name"
"$MEMACCT_BIN" explain --files --path.cgroupfs="$mnt" "$rel" > "$JS_WORK/files.txt"
head -8 "$JS_WORK/files.txt"
grep -Eq " $JS_STORE/.*\.blk\$" "$JS_WORK/files.txt" ||
  fail "explain --files does not name a block file nats-server holds open"
"$MEMACCT_BIN" explain --files --json --files-under="$JS_STORE" --path.cgroupfs="$mnt" "$rel" \
  > "$JS_WORK/files.json"
python3 - "$JS_WORK/files.json" "$JS_STORE" "$sb2" <<'PY' || fail "the store's block files do not hold the stream in page cache"
import json, sys
d = json.load(open(sys.argv[1]))
store, stream_bytes = sys.argv[2], int(sys.argv[3])
blk = [f for f in d["files"] if f["path"].startswith(store) and f["path"].endswith(".blk")]
top = d["files"][0]["path"]
cached = sum(f["cached_bytes"] for f in blk)
print("explain --files --files-under: %d block files among the top %d hold %d MiB in page cache"
      " (stream %d MiB); the top file is %s" % (len(blk), len(d["files"]), cached >> 20,
                                                stream_bytes >> 20, top))
assert top.startswith(store) and top.endswith(".blk"), top
assert cached * 2 >= stream_bytes, (cached, stream_bytes)
PY
echo PASS
