# seed2: the seed-2 picture live. A container-like cgroup (memory.max 400M)
# whose process holds 64 MiB of anon; it writes a 100 MiB file on ext4, then
# reads it twice. One quiescent snapshot after each phase.
cg=/seed2.slice/app.scope
mkcg $cg
echo 400M > $CG$cg/memory.max
spawn_in $cg $RESULTS/seed2/hold.out vm_hold 64
holder=$!
until grep -q ready $RESULTS/seed2/hold.out 2>/dev/null; do sleep 0.1; done
snap seed2/1-anon $cg
run_in $cg dd if=/dev/zero of=$DATA/seed2.bin bs=1M count=100 2>&1
sync
snap seed2/2-write $cg
run_in $cg cat $DATA/seed2.bin > /dev/null
run_in $cg cat $DATA/seed2.bin > /dev/null
snap seed2/3-read-twice $cg
kill -KILL $holder; wait $holder
rm -f $DATA/seed2.bin
rmcg /seed2.slice
