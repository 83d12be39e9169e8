# chart: the Helm chart's DaemonSet invocation, as the kubelet would run it
# on this v2 node. build.sh rendered the chart's default values and wrote the
# container's args (/vm/chart.args, one a line) and its hostPath mounts
# (/vm/chart.mounts: "HOSTPATH MOUNTPATH ro|rw"). Here: a kubelet-like
# /var/log with one pod of the k8s layout in it; every host path bound
# (recursively) at its mount point, read-only where the chart says so; a
# second exporter with exactly the chart's args, as uid 65534 (the chart's
# runAsUser), under strace (every path it names, for the host's check); one
# quiescent snapshot of that pod's cgroups through it. The chart's
# --web.listen-address=:9913 is why the harness's own exporter is on 9914.
# Not mirrored: capabilities, seccomp, the read-only root, mount propagation
# (tests/integration/helm_podman.sh runs those under podman).
d=$RESULTS/chart
uid=0a1b2c3d-0000-4000-8000-000000000001
pod=/kubepods.slice/kubepods-pod0a1b2c3d_0000_4000_8000_000000000001.slice
app=a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1
pause=b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1
# The k8s scenario made them when it ran; alone, this one makes them.
for c in $app $pause; do
  [ -d $CG$pod/cri-containerd-$c.scope ] && continue
  mkcg $pod/cri-containerd-$c.scope
  spawn_in $pod/cri-containerd-$c.scope /dev/null sleep 100000
done
# kubelet's log folders for that pod: web-0 in kube-system, its container
# "app" (the pause container has no log).
mkdir -p /var/log/pods/kube-system_web-0_$uid/app /var/log/containers
touch /var/log/pods/kube-system_web-0_$uid/app/0.log
ln -sf /var/log/pods/kube-system_web-0_$uid/app/0.log \
  /var/log/containers/web-0_kube-system_app-$app.log

cp /vm/chart.args /vm/chart.mounts $d/
mounted=""
while read -r host at mode; do
  mkdir -p "$at"
  mount -o rbind "$host" "$at" || { echo "cannot bind $host at $at"; exit 1; }
  mounted="$at $mounted"
  if [ "$mode" = ro ]; then
    mount -o remount,bind,ro "$at" || { echo "cannot make $at read-only"; exit 1; }
  fi
done < /vm/chart.mounts
grep ' /host/' /proc/self/mountinfo > $d/mountinfo

set -f
IFS='
'
set -- $(cat /vm/chart.args)
unset IFS
set +f
URL=http://127.0.0.1:9913
# POSIXLY_CORRECT: su's own options end at the user name (else it takes the
# chart's --flags for its own).
spawn_in /memacct $d/exporter.log env POSIXLY_CORRECT=1 strace -f --seccomp-bpf -qq -y -o $d/trace -e trace=%file \
  su -s /bin/sh -c 'unset POSIXLY_CORRECT; exec "$0" "$@"' nobody /bin/memacct_exporter "$@"
tracer=$!
# /healthz, not /metrics: every scrape under strace is a second or more.
rc=1
for i in $(seq 150); do
  wget -q -O /dev/null $URL/healthz 2>/dev/null && { rc=0; break; }
  kill -0 $tracer 2>/dev/null || break
  sleep 0.2
done
[ $rc = 0 ] || echo "the chart's exporter does not answer on $URL/healthz"
pid=$(pidof memacct_exporter | tr ' ' '\n' | grep -vx "$(cat $RESULTS/exporter.pid)")
if [ -n "$pid" ]; then
  tr '\0' '\n' < /proc/$pid/cmdline > $d/cmdline
  grep -E '^(Uid|Gid):' /proc/$pid/status > $d/ids
  [ $rc = 0 ] && snap chart/1 $pod $pod/cri-containerd-$app.scope $pod/cri-containerd-$pause.scope
  kill -TERM $pid
fi
wait $tracer
for at in $mounted; do umount -l "$at"; done
tail -3 $d/exporter.log
exit $rc
