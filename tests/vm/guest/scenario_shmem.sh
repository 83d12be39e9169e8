# shmem: 32 MiB written to a file on tmpfs from a cgroup, then mapped and
# touched by a process of it (RssShmem); snapshots while mapped, after the
# process exited (the shmem stays charged) and after the file is deleted.
d=$RESULTS/shmem
cg=/shm.slice/app.scope
mkcg $cg
mkdir -p /mnt/shm && mount -t tmpfs -o size=128m tmpfs /mnt/shm
run_in $cg dd if=/dev/zero of=/mnt/shm/blob bs=1M count=32 2>&1
spawn_in $cg $d/hold.out vm_hold 0 /mnt/shm/blob
holder=$!
until grep -q ready $d/hold.out 2>/dev/null; do sleep 0.1; done
snap shmem/1-mapped $cg
kill -KILL $holder; wait $holder
snap shmem/2-exited $cg
rm /mnt/shm/blob
snap shmem/3-deleted $cg
umount /mnt/shm
rmcg /shm.slice
