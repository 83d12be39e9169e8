# Sourced, not run: sets podman_flags, the options every podman build and run
# of this project passes. Measured with podman 4.3 as root on Debian 12:
#  - --runtime runc: crun refuses a cgroup v1 or hybrid host; runc works on
#    v1, hybrid and v2;
#  - --ulimit nofile, nproc: by default podman asks the runtime for more
#    open files than the caller's hard limit, which fails ("error setting
#    rlimit type 7: operation not permitted") where the caller lacks
#    CAP_SYS_RESOURCE (a container, a sandboxed VM). No more than the current
#    hard limits works; podman 4.3 itself runs with RLIMIT_NPROC 32768
#    (measured), so a larger nproc fails the same way.
nofile=$(ulimit -Hn)
[ "$nofile" = unlimited ] && nofile=1048576
nproc=$(ulimit -Hu)
{ [ "$nproc" = unlimited ] || [ "$nproc" -gt 32768 ]; } && nproc=32768
podman_flags=(--runtime runc --ulimit "nofile=$nofile:$nofile" --ulimit "nproc=$nproc:$nproc")
unset nofile nproc
