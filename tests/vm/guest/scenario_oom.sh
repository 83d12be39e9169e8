# oom: anon growth past memory.max (48M): vm_hold asks for 96 MiB and is
# OOM-killed. Quiescent snapshots before and after the kill.
d=$RESULTS/oom
cg=/oom.slice/app.scope
mkcg $cg
echo 48M > $CG$cg/memory.max
snap oom/0-before $cg
run_in $cg vm_hold 96 > $d/hold.out 2>&1
echo "vm_hold exit status $?" | tee $d/exit
snap oom/1-killed $cg
rmcg /oom.slice
