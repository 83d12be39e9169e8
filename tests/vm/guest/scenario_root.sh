# root: what the exporter says about the v2 root "/", which has no
# memory.current (nor memory.events/max): a snapshot of the root's files
# with /proc/meminfo read just before and after (kubelet and cAdvisor compute
# the node's usage and working set for the root from these). 16 MiB written
# to ext4 first, so the root holds inactive page cache (working set < usage).
d=$RESULTS/root
dd if=/dev/zero of=$DATA/root-cache.bin bs=1M count=16 2>&1
sync
cat /proc/meminfo > $d/meminfo.before
SNAP_TRIES=2 snap root/1 /
cat /proc/meminfo > $d/meminfo.after
ls $CG > $d/root-files
rm $DATA/root-cache.bin
