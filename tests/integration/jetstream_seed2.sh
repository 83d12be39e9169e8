#!/usr/bin/env bash
# The seed-2 picture, live on this machine's cgroup v1 memory controller:
# nats-server in a fresh memory cgroup (below this test's own cgroup, removed
# at the end), a file-storage stream configured like the incident's fix
# (max_msgs_per_subject=1, discard new per subject, max_age=5 s), published to
# with many distinct subjects for ~30 s. Every few seconds the scrape's
# working set, processes' RSS, page cache and stream bytes are printed (the
# trajectory), and each sample must show what the split promises: the
# cgroup's anon is within 8 MiB of its processes' summed RssAnon, and its file
# components (active + inactive) hold at least the bytes the stream still has
# on disk: the gap between working set and RSS is page cache.
set -euo pipefail
source "$(dirname "$0")/jetstream_lib.bash"

mnt=$(awk '$3=="cgroup" && $4 ~ /(^|,)memory(,|$)/ {print $2; exit}' /proc/mounts)
[ -n "$mnt" ] || skip "no cgroup v1 memory controller mounted"
own=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ {print $3; exit}' /proc/self/cgroup)
parent="$mnt$own"
[ -w "$parent" ] || skip "cgroup $parent is not writable (run as root)"
js_require
name="memacct-js-seed2-$$"
cg="$parent/$name"
publisher=""
seed2_cleanup() {
  set +e
  [ -n "$publisher" ] && kill "$publisher" 2>/dev/null && wait "$publisher" 2>/dev/null
  stop_exporter
  stop_nats
  if [ -d "$cg" ]; then
    for p in $(cat "$cg/cgroup.procs" 2>/dev/null); do echo "$p" > "$parent/cgroup.procs"; done
    echo 0 > "$cg/memory.force_empty" 2>/dev/null
    rmdir "$cg" 2>/dev/null
  fi
  rm -rf "$JS_WORK" "${JS_WORK_DISK:-}"
}
trap seed2_cleanup EXIT
mkdir "$cg" || skip "cannot create a cgroup below $parent"
JS_WORK_DISK=$(mktemp -d /var/tmp/memacct-seed2.XXXXXX)   # disk-backed: pages are page cache
JS_STORE="$JS_WORK_DISK/store"

start_nats
echo "$NATS_PID" > "$cg/cgroup.procs"
python3 - "$NATS_PORT" "$JS_PY" <<'PY'
import sys, importlib.util
spec = importlib.util.spec_from_file_location("jn", sys.argv[2]); jn = importlib.util.module_from_spec(spec)
spec.loader.exec_module(jn)
jn.Nats(int(sys.argv[1])).js("STREAM.CREATE.SEED2", {
    "name": "SEED2", "subjects": ["seed.>"], "storage": "file", "retention": "limits",
    "max_msgs_per_subject": 1, "discard": "new", "discard_new_per_subject": True,
    "max_age": 5 * 1000000000})
PY

sel="cgroup=\"$own/$name\""
[ "$own" = / ] && sel="cgroup=\"/$name\""
start_exporter "$JS_WORK/exporter.log" --nats.url="$NATS_URL" --nats.poll-interval=1 \
  --collector.cgroup.include="/$name\$" --path.cgroupfs="$mnt" --no-collector.node

# ~30 s of publishes, each to a subject never used before: 8 KiB payloads
# paced at 512 a second (4 MiB/s), so one poll interval (1 s) of lag between
# the stream's size (from the last poll) and the cgroup's page cache (read at
# scrape time) is at most ~4 MiB; the page-cache check allows 8 MiB for it.
python3 - "$NATS_PORT" "$JS_PY" 30 > "$JS_WORK/publisher.log" 2>&1 <<'PY' &
import sys, time, importlib.util
spec = importlib.util.spec_from_file_location("jn", sys.argv[2]); jn = importlib.util.module_from_spec(spec)
spec.loader.exec_module(jn)
n = jn.Nats(int(sys.argv[1]))
start = time.time()
end, i, payload = start + float(sys.argv[3]), 0, b"x" * 8192
while time.time() < end:
    n.request("seed.%d" % i, payload)
    i += 1
    ahead = i / 512.0 - (time.time() - start)
    if ahead > 0:
        time.sleep(ahead)
print("published %d messages to %d subjects" % (i, i))
PY
publisher=$!

MiB=$((1024 * 1024))
printf '%-5s %-14s %-14s %-14s %-14s %-14s %-14s\n' t_s working_set process_rss file_active file_inactive stream_bytes anon_vs_rssanon
samples=0
t0=$(date +%s)
while kill -0 "$publisher" 2>/dev/null || [ "$samples" -lt 3 ]; do
  since=$(now)
  wait_fresh_poll "$JS_WORK/s.prom" "$since" 20 || fail "no fresh JetStream poll"
  f="$JS_WORK/s.prom"
  ws=$(value "$f" memacct_cgroup_memory_working_set_bytes "$sel")
  anon=$(value "$f" memacct_cgroup_memory_bytes "$sel" 'component="anon"')
  fa=$(value "$f" memacct_cgroup_memory_bytes "$sel" 'component="file_active"')
  fi_=$(value "$f" memacct_cgroup_memory_bytes "$sel" 'component="file_inactive"')
  ra=$(value "$f" memacct_cgroup_process_rss_bytes "$sel" 'component="anon"')
  rf=$(value "$f" memacct_cgroup_process_rss_bytes "$sel" 'component="file"')
  rs=$(value "$f" memacct_cgroup_process_rss_bytes "$sel" 'component="shmem"')
  sb=$(value "$f" memacct_jetstream_stream_bytes 'stream="SEED2"')
  diff=$((anon - ra)); [ "$diff" -lt 0 ] && diff=$((-diff))
  printf '%-5s %-14s %-14s %-14s %-14s %-14s %-14s\n' "$(( $(date +%s) - t0 ))" "$ws" "$((ra + rf + rs))" \
    "$fa" "$fi_" "$sb" "$diff"
  [ "$diff" -le $((8 * MiB)) ] || fail "cgroup anon $anon is $diff bytes away from the processes' RssAnon $ra"
  [ $((fa + fi_ + 8 * MiB)) -ge "$sb" ] ||
    fail "page cache $((fa + fi_)) is less than the stream's $sb bytes on disk (8 MiB poll-lag slack)"
  samples=$((samples + 1))
  sleep 2
done
wait "$publisher"; publisher=""
cat "$JS_WORK/publisher.log"
[ "$samples" -ge 5 ] || fail "only $samples samples"
[ "$(value "$f" memacct_jetstream_stream_retention_unbounded 'stream="SEED2"')" = 0 ] ||
  fail "a stream with max_age is flagged unbounded"
[ "$(value "$f" memacct_jetstream_stream_max_messages_per_subject 'stream="SEED2"')" = 1 ] ||
  fail "max_messages_per_subject is not 1"
echo PASS
