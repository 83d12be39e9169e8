# files: explain --files on the v2 VM, where the 6.1 kernel has no
# cachestat(2) and the auto method measures with mmap+mincore. A process in
# a fresh cgroup writes files of 4, 8 and 16 MiB on ext4, reads each twice
# and holds them open; then `memacct_exporter explain --files --json` on
# that cgroup, and the cgroup's memory.stat just before and just after it.
# It judges nothing (check.py's scenario_files does).
cg=/files.slice/app.scope
out=$RESULTS/files
mkcg $cg
mkdir -p $DATA/files
spawn_in $cg $out/hold.out sh -c '
  cd "$0" || exit 1
  for n in 4 8 16; do dd if=/dev/zero of=f$n bs=1M count=$n 2>/dev/null || exit 1; done
  sync
  for n in 4 8 16; do cat f$n > /dev/null; cat f$n > /dev/null; done
  exec 3<f4 4<f8 5<f16
  echo ready
  exec sleep 100000' $DATA/files
holder=$!
n=0
until grep -q ready $out/hold.out 2>/dev/null; do
  n=$((n + 1)); [ $n -lt 600 ] || { log "the holder never got ready"; exit 1; }
  sleep 0.1
done
cp $CG$cg/memory.stat $out/memory.stat.before
memacct_exporter explain --files --json --path.cgroupfs=$CG $cg > $out/explain.json 2> $out/explain.err
rc=$?
cp $CG$cg/memory.stat $out/memory.stat.after
cat $out/explain.err
[ $rc = 0 ] || { log "explain --files exited $rc"; exit 1; }
kill -KILL $holder; wait $holder
rm -rf $DATA/files
rmcg /files.slice
