#!/usr/bin/env bash
# Live test of the pagecache API (explain --files) on this machine's real
# cgroup v1 memory controller, through the pagecache_table driver. Cgroups
# are created below this test's own memory cgroup and removed at the end.
#  1. A process in a fresh cgroup writes files of 10, 50 and 100 MiB, reads
#     each twice and keeps them open. The table must list them 100, 50, 10
#     MiB, each cached within 1 % of its size, by cachestat (auto) and by
#     mincore alike, and the three must explain >= 95 % of the cgroup's
#     file_active.
#     The same through the real binary: `explain --files CGROUP` prints the
#     table in that order, `--json` gives the same files and sizes, and so
#     does the page /explain?files=CGROUP.
#  2. The nats-server case: a process in a second cgroup holds 300 files of
#     1 MiB open. Listing and measuring them (and --files-under their
#     directory) must take under 1 s; the cost is printed.
set -euo pipefail
source "$(dirname "$0")/lib.bash"

table="${MEMACCT_BUILD:?}/tests/pagecache_table"
[ -x "$table" ] || fail "$table is not built"
v1_memory_parent
parent=$MEMCG_PARENT

cg1="$parent/memacct-pc-$$"
cg2="$parent/memacct-pc-nats-$$"
work=$(mktemp -d /var/tmp/memacct-pc.XXXXXX)
holders=()
cleanup() {
  set +e
  for h in "${holders[@]}"; do kill "$h" 2>/dev/null; wait "$h" 2>/dev/null; done
  for cg in "$cg1" "$cg2"; do
    [ -d "$cg" ] || continue
    for p in $(cat "$cg/cgroup.procs" 2>/dev/null); do echo "$p" > "$parent/cgroup.procs" 2>/dev/null; done
    echo 0 > "$cg/memory.force_empty" 2>/dev/null
    rmdir "$cg" 2>/dev/null
  done
  rm -rf "$work"
}
trap cleanup EXIT
mkdir "$cg1" "$cg2" || skip "cannot create a cgroup below $parent"

# wait_for FILE: the holder writes FILE when its files are open.
wait_for() {
  for _ in $(seq 1 600); do [ -e "$1" ] && return 0; sleep 0.1; done
  fail "holder did not get ready ($1)"
}

MiB=$((1024 * 1024))
# 1. Three files written and read twice inside cg1, then held open.
bash -c '
  echo $$ > "$1/cgroup.procs" || exit 1
  cd "$2"
  for n in 10 50 100; do
    dd if=/dev/zero of=f$n bs=1M count=$n status=none
    cat f$n > /dev/null; cat f$n > /dev/null
  done
  exec 3<f10 4<f50 5<f100
  touch ready1
  exec sleep 600' _ "$cg1" "$work" &
holders+=($!)
wait_for "$work/ready1"

for method in auto mincore; do
  "$table" --method "$method" --top 10 "$cg1" > "$work/$method.out"
  echo "== $method"; cat "$work/$method.out"
  rows=$(grep '^row ' "$work/$method.out" | awk '$8 != "shmem"' | head -3)
  paths=$(echo "$rows" | awk '{print $9}' | xargs -n1 basename | tr '\n' ' ')
  [ "$paths" = "f100 f50 f10 " ] || fail "$method: top files are [$paths], want [f100 f50 f10]"
  while read -r _ _ cached size _ _ used _ path; do
    want=$(( $(basename "$path" | tr -d f) * MiB ))
    [ "$size" = "$want" ] || fail "$method: $path size $size, want $want"
    diff=$(( cached > size ? cached - size : size - cached ))
    [ $((diff * 100)) -le "$size" ] || fail "$method: $path cached $cached, not within 1 % of $size"
    if [ "$method" = auto ] && [ "$used" != cachestat ]; then fail "auto measured $path with $used"; fi
    [ "$method" != mincore ] || [ "$used" = mincore ] || fail "mincore run used $used"
  done <<< "$rows"
  fa=$(sed -n 's/^cgroup file_active=\([0-9]*\) .*/\1/p' "$work/$method.out")
  three=$(echo "$rows" | awk '{s += $3} END {printf "%.0f", s}')
  [ "$fa" -gt 0 ] || fail "$method: file_active is 0"
  echo "$method: the three files hold $((three / MiB)) MiB of file_active $((fa / MiB)) MiB ($((three * 100 / fa)) %)"
  [ $((three * 100)) -ge $((fa * 95)) ] || fail "$method: the three files explain < 95 % of file_active"
done

# 1b. The real binary: explain --files on the cgroup, as a person runs it.
mnt=${MEMCG_PARENT%"$MEMCG_OWN"}
rel=${cg1#"$mnt"}
"$MEMACCT_BIN" explain --files --path.cgroupfs="$mnt" "$rel" > "$work/explain.txt"
cat "$work/explain.txt"
grep -q "^Page cache of $rel: " "$work/explain.txt" || fail "explain --files: no title naming $rel"
order=$(awk '$NF ~ /\/f(10|50|100)$/ {n = split($NF, p, "/"); printf "%s ", p[n]}' "$work/explain.txt")
[ "$order" = "f100 f50 f10 " ] || fail "explain --files lists [$order], want [f100 f50 f10]"
grep -Eq '^ +100 MiB +100 MiB .*/f100$' "$work/explain.txt" || fail "f100 is not shown as 100 MiB cached of 100 MiB"
grep -q '^The 3 files listed explain' "$work/explain.txt" ||
  grep -q '^The [0-9]* files listed explain' "$work/explain.txt" || fail "no summary line"
"$MEMACCT_BIN" explain --files --json --path.cgroupfs="$mnt" "$rel" > "$work/explain.json"
python3 - "$work/explain.json" "$rel" <<'PY' || fail "explain --files --json does not match"
import json, os, sys
d = json.load(open(sys.argv[1]))
assert d["cgroup"] == sys.argv[2], d["cgroup"]
rows = [r for r in d["files"] if os.path.basename(r["path"]) in ("f10", "f50", "f100")]
assert [os.path.basename(r["path"]) for r in rows] == ["f100", "f50", "f10"], rows
for r in rows:
    want = int(os.path.basename(r["path"])[1:]) << 20
    assert r["size_bytes"] == want and abs(r["cached_bytes"] - want) * 100 <= want, r
three = sum(r["cached_bytes"] for r in rows)
assert three * 100 >= d["file_active_bytes"] * 95, (three, d["file_active_bytes"])
print("explain --files --json: f100 f50 f10, %d of %d bytes of file_active" % (three, d["file_active_bytes"]))
PY

# 1c. /explain?files=CGROUP: the same table on the page, on demand; the
#     cgroup rows of /explain link to it.
start_exporter "$work/exporter.log" --path.cgroupfs="$mnt" --collector.cgroup.include="^$rel\$"
enc=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe="/"))' "$rel")
curl -fsS "$EXPORTER_URL/explain" | grep -F "href=\"explain?files=$enc\"" >/dev/null ||
  fail "/explain does not link to the files page of $rel"
curl -fsS "$EXPORTER_URL/explain?files=$enc" > "$work/files.html"
stop_exporter
python3 - "$work/files.html" <<'PY' || fail "/explain?files does not show f100 f50 f10 with their sizes"
import re, sys
html = open(sys.argv[1]).read()
rows = re.findall(r'<tr data-cached="(\d+)">.*?<td>[^<]*</td><td>[^<]*</td><td>[^<]*</td><td>[^<]*</td><td>([^<]*)</td></tr>', html)
ours = [(int(c), p.rsplit("/", 1)[-1]) for c, p in rows if p.rsplit("/", 1)[-1] in ("f10", "f50", "f100")]
assert [n for _, n in ours] == ["f100", "f50", "f10"], ours
for c, n in ours:
    want = int(n[1:]) << 20
    assert abs(c - want) * 100 <= want, (n, c)
print("/explain?files: f100 f50 f10, each within 1 % of its size")
PY

# 2. 300 files of 1 MiB held open by a process in cg2 (a JetStream store).
mkdir "$work/store"
bash -c '
  echo $$ > "$1/cgroup.procs" || exit 1
  cd "$2/store"
  for i in $(seq 1 300); do
    dd if=/dev/zero of=$i.blk bs=1M count=1 status=none
    exec {fd}<$i.blk
  done
  touch ../ready2
  exec sleep 600' _ "$cg2" "$work" &
holders+=($!)
wait_for "$work/ready2"

for args in "--method auto $cg2" "--method mincore $cg2" "--method auto --under $work/store"; do
  # shellcheck disable=SC2086
  "$table" --top 0 $args > "$work/nats.out"
  run=$(grep '^run ' "$work/nats.out")
  echo "== $args"; echo "$run"
  measured=$(echo "$run" | sed 's/.* measured=\([0-9]*\) .*/\1/')
  us=$(echo "$run" | sed 's/.*elapsed_us=\([0-9]*\).*/\1/')
  blk=$(awk -v d="$work/store/" -v m="$MiB" '$1 == "row" && index($9, d) == 1 && $3 == m' "$work/nats.out" | wc -l)
  [ "$measured" -ge 300 ] || fail "$args: measured $measured files, want >= 300"
  [ "$blk" = 300 ] || fail "$args: $blk store files listed with 1 MiB cached, want 300"
  [ "$us" -lt 1000000 ] || fail "$args: took $us us, want < 1 s"
done
echo "PASS"
