# threaded: the subtree init keeps on the "host" (/thr a threaded domain,
# /thr/t1 threaded, with a process; t1's cgroup.procs answers EOPNOTSUPP).
# One quiescent snapshot of both; the host checks that the process
# collector succeeds here and in every other scrape of the run.
d=$RESULTS/threaded
for c in /thr /thr/t1; do
  echo "$c type=$(cat $CG$c/cgroup.type) threads=$(cat $CG$c/cgroup.threads | wc -l)"
  echo "$c cgroup.procs: $(cat $CG$c/cgroup.procs 2>&1 | tr '\n' ' ')"
done > $d/types
cat $d/types
snap threaded/1 /thr /thr/t1
