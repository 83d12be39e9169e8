# Helpers of the VM harness's guest scripts (busybox sh; sourced by init and
# by every scenario): making cgroups, running a command inside one, scraping
# the exporter, and the snapshot the host compares: the kernel's own files of
# some cgroups read just before and just after one scrape. It does not judge
# anything; tests/vm/check.py does, on the host.

CG=/sys/fs/cgroup
URL=http://127.0.0.1:9914   # the chart scenario's exporter takes the chart's :9913
RESULTS=/results
DATA=/mnt/data     # ext4 on a brd RAM disk: real page cache

log() { echo "vm: $*"; }

# mkcg /a/b/c: makes the cgroup and every missing parent, with the memory
# controller enabled on the way down so each level has memory.* files.
mkcg() {
  _p=""
  for _c in $(echo "$1" | tr '/' ' '); do
    read -r _sc < "$CG$_p/cgroup.subtree_control"
    case " $_sc " in *" memory "*) ;; *) echo +memory > "$CG$_p/cgroup.subtree_control" ;; esac
    _p="$_p/$_c"
    [ -d "$CG$_p" ] || mkdir "$CG$_p"
  done
}

# run_in /cg CMD ARGS...: runs CMD as a process of the cgroup, in the
# foreground.
run_in() {
  _cg=$1; shift
  sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$CG$_cg" "$@"
}

# spawn_in /cg OUT CMD ARGS...: runs CMD as a process of the cgroup in the
# background, its output to OUT; $! is CMD's own pid (to kill it).
spawn_in() {
  _cg=$1; _out=$2; shift 2
  sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$CG$_cg" "$@" > "$_out" 2>&1 &
}

# rmcg /cg: kills what is left in the cgroup and its descendants, then removes
# them, deepest first.
rmcg() {
  [ -d "$CG$1" ] || return 0
  for _f in $(find "$CG$1" -name cgroup.procs); do
    for _pid in $(cat "$_f" 2>/dev/null); do kill -KILL "$_pid" 2>/dev/null; done
  done
  for _i in 1 2 3 4 5 6 7 8 9 10; do
    find "$CG$1" -depth -type d -exec rmdir {} \; 2>/dev/null
    [ -d "$CG$1" ] || return 0
    sleep 0.1
  done
  log "could not remove cgroup $1"
  return 1
}

scrape() { timeout 20 wget -q -O "$1" "$URL/metrics"; }

# wait_metric FILE REGEX SECONDS: scrapes into FILE until a line matches.
wait_metric() {
  _n=$(($3 * 5))
  while [ "$_n" -gt 0 ]; do
    scrape "$1" 2>/dev/null && grep -Eq "$2" "$1" && return 0
    sleep 0.2
    _n=$((_n - 1))
  done
  return 1
}

# dump OUT /cg...: each cgroup's memory files and cgroup.procs (as busybox
# head prints several files: "==> PATH <==" before each), then the RSS lines
# of every listed process (grep -H: "PATH:LINE"); PSI without its decaying
# averages. Two processes in all, however many cgroups: forks are slow
# under TCG, and the reads should be close together.
dump() {
  _out=$1; shift
  _files="" _procs=""
  for _c in "$@"; do
    _d="$CG${_c%/}"
    for _f in memory.current memory.stat memory.events memory.max memory.high memory.low \
              memory.min memory.peak memory.swap.current memory.pressure cgroup.procs; do
      [ -e "$_d/$_f" ] && _files="$_files $_d/$_f"
    done
    while read -r _pid; do _procs="$_procs /proc/$_pid/status"; done < "$_d/cgroup.procs" 2>/dev/null
  done
  {
    head -n 100000 $_files 2>/dev/null
    [ -z "$_procs" ] || grep -HE '^(RssAnon|RssFile|RssShmem|VmSwap):' $_procs 2>/dev/null
  } | sed 's/avg10=[^ ]* avg60=[^ ]* avg300=[^ ]* //' > "$_out"
}

# snap NAME /cg...: $RESULTS/NAME/{before,scrape.prom,after}: the cgroups'
# kernel files, one scrape, the files again; repeated (up to SNAP_TRIES, 8,
# times) until nothing moved between before and after, so the host can ask
# for equality to the byte. NAME/attempts says how many it took. With
# SNAP_TRIES=1 it is one look at a phase in motion.
snap() {
  _dir="$RESULTS/$1"; shift
  mkdir -p "$_dir"
  _a=0
  while [ "$_a" -lt "${SNAP_TRIES:-8}" ]; do
    _a=$((_a + 1))
    dump "$_dir/before" "$@"
    scrape "$_dir/scrape.prom" || echo "scrape failed" > "$_dir/scrape.err"
    dump "$_dir/after" "$@"
    cmp -s "$_dir/before" "$_dir/after" && break
    sleep 0.3
  done
  echo "$_a" > "$_dir/attempts"
}
