# high: memory.high throttling. vm_hold asks for 64 MiB with memory.high at
# 32M (no swap: nothing to reclaim, so it is throttled). Two looks while it
# is throttled (counters in motion: the host checks the scrape lies between
# the kernel's before and after), then it is killed and one quiescent
# snapshot follows.
d=$RESULTS/high
cg=/high.slice/app.scope
mkcg $cg
echo 32M > $CG$cg/memory.high
snap high/0-before $cg
spawn_in $cg $d/hold.out vm_hold 64
holder=$!
sleep 1.5
SNAP_TRIES=1 snap high/1-throttled $cg
sleep 1.5
SNAP_TRIES=1 snap high/2-throttled $cg
kill -KILL $holder; wait $holder
snap high/3-after $cg
rmcg /high.slice
