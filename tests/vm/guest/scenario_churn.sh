# churn: vm_churn makes and removes 1000 memory cgroups at 100
# a second (at most 30 s), each with a process, below /churn.slice while a
# loop scrapes without pause (every scrape and its wget status kept). Then the root's
# cgroup.stat nr_dying_descendants is followed until it is back to what it
# was before (at most 30 s), and the exporter's open fds are counted before
# (after two scrapes: it holds the files it reads) and after (no scrape
# since the churn: within 5 s its poll has closed the removed cgroups').
d=$RESULTS/churn
exporter=$(cat $RESULTS/exporter.pid)
dying() { sed -n 's/^nr_dying_descendants //p' $CG/cgroup.stat; }
mkcg /churn.slice
echo +memory > $CG/churn.slice/cgroup.subtree_control
echo "baseline $(dying)" > $d/dying
# Two scrapes first: the exporter holds the files of the cgroups it has read
# (/churn.slice's among them) from then on; the baseline counts them.
wget -q -O /dev/null $URL/metrics; wget -q -O /dev/null $URL/metrics
echo "before $(ls /proc/$exporter/fd | wc -l)" > $d/fds
mkdir -p $d/scrapes
rm -f /tmp/churn.stop
(
  i=0
  while [ ! -e /tmp/churn.stop ]; do
    i=$((i + 1))
    timeout 20 wget -q -O $d/scrapes/$i.prom $URL/metrics
    echo $? > $d/scrapes/$i.rc
  done
) &
scraper=$!
vm_churn $CG/churn.slice 1000 100 30 > $d/churner.out 2>&1
rc=$?
cat $d/churner.out
touch /tmp/churn.stop
wait $scraper
echo "peak-after $(dying)" >> $d/dying
t0=$(cut -d' ' -f1 /proc/uptime)
n=0
while [ "$(dying)" -gt "$(sed -n 's/^baseline //p' $d/dying)" ] && [ $n -lt 150 ]; do
  sleep 0.2; n=$((n + 1))
done
echo "final $(dying) after $n waits of 0.2 s" >> $d/dying
# No scrape since the last cgroups went: the exporter's own poll (once a
# second) closes their files; give it up to 5 s.
before=$(sed -n 's/^before //p' $d/fds)
n=0
while [ "$(ls /proc/$exporter/fd | wc -l)" -gt "$before" ] && [ $n -lt 25 ]; do
  sleep 0.2; n=$((n + 1))
done
echo "after $(ls /proc/$exporter/fd | wc -l)" >> $d/fds
cat $d/dying $d/fds
rmdir $CG/churn.slice
exit $rc
