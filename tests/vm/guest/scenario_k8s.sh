# k8s: the Kubernetes and Docker layouts of k8s_layout.txt (both kubelet
# cgroup drivers; containerd, CRI-O and Docker; a pause container; CRI-O's
# conmon; static pods), a sleeping process in every leaf; one quiescent
# snapshot of them all. The processes stay for the scenarios after it.
paths=$(grep -v '^#' /vm/k8s_layout.txt | cut -d' ' -f1)
[ -n "$paths" ] || { echo "no paths in /vm/k8s_layout.txt"; exit 1; }
for p in $paths; do mkcg "$p"; done
for p in $paths; do
  grep -v '^#' /vm/k8s_layout.txt | cut -d' ' -f1 | grep -q "^$p/" && continue
  spawn_in "$p" /dev/null sleep 100000
done
sleep 0.5
snap k8s/1 $paths
