# pod_podman.jq: translates the first container of a rendered workload
# (DaemonSet, Deployment: `helmcheck template -json` output, selected with
# --arg kind KIND) into what `podman run` needs to run it the way the kubelet
# would: {podman: [options], args: [container args], image: "chart's image"}.
# Used by tests/integration/helm_podman.sh and tests/vm/build.sh (the VM's
# chart scenario); --arg logroot DIR stands in for
# the host's /var/log (kubelet's log folders); --arg port P publishes the port
# named metrics on 127.0.0.1:P (unless hostNetwork).
# Translated: hostPID, hostNetwork, runAsUser/runAsGroup/fsGroup/
# supplementalGroups, runAsNonRoot (checked), readOnlyRootFilesystem,
# allowPrivilegeEscalation, privileged, capabilities, seccompProfile
# (RuntimeDefault: podman's default profile), env with value, hostPath
# volumes with readOnly and mountPropagation, resources.limits.memory and
# cpu. Anything else the container asks for (a command, env from a Secret,
# other volume types) stops with an error naming it, so nothing is dropped
# silently.

def fail(msg): error("pod_podman.jq: \(msg)");

# Kubernetes quantity (64Mi, 1Gi, 500M, 1000000) -> podman size (64m, 1g, ...)
def mem_size:
  tostring
  | if test("^[0-9]+$") then "\(.)b"
    elif test("^[0-9]+(Ki|Mi|Gi|Ti)$") then (.[:-2] + (.[-2:-1] | ascii_downcase))
    else fail("memory limit \(.): only plain bytes and Ki/Mi/Gi/Ti are translated") end;

def cpus:
  tostring
  | if test("^[0-9]+m$") then ((.[:-1] | tonumber) / 1000 | tostring)
    elif test("^[0-9.]+$") then .
    else fail("cpu limit \(.)") end;

[.[] | select(.kind == $kind)]
| if length != 1 then fail("\(length) objects of kind \($kind)") else .[0] end
| .spec.template.spec as $pod
| ($pod.containers // []) as $ctrs
| if ($ctrs | length) != 1 then fail("\($ctrs | length) containers (one expected)") else . end
| $ctrs[0] as $c
| ($pod.securityContext // {}) as $psc
| ($c.securityContext // {}) as $sc
| ($sc.runAsUser // $psc.runAsUser) as $uid
| ($sc.runAsGroup // $psc.runAsGroup) as $gid
| (if $c.command then fail("container command \($c.command) (the image's entrypoint must run)") else . end)
| (if ($sc.runAsNonRoot // $psc.runAsNonRoot) == true and ($uid == null or $uid == 0)
   then fail("runAsNonRoot with uid \($uid)") else . end)
| ($sc.seccompProfile // $psc.seccompProfile // {type: "RuntimeDefault"}) as $seccomp
| ([$pod.volumes // [] | .[] | {key: .name, value: .}] | from_entries) as $vols
| {
    image: $c.image,
    args: ($c.args // []),
    podman: (
      (if $pod.hostPID then ["--pid", "host"] else [] end)
      + (if $pod.hostNetwork then ["--network", "host"]
         else [$c.ports // [] | .[] | select(.name == "metrics")
               | "-p", "127.0.0.1:\($port):\(.containerPort)"] end)
      + (if $uid != null then ["--user", (if $gid != null then "\($uid):\($gid)" else "\($uid)" end)] else [] end)
      + (if $psc.fsGroup != null then ["--group-add", "\($psc.fsGroup)"] else [] end)
      + [($psc.supplementalGroups // [])[] | "--group-add", "\(.)"]
      + (if $sc.readOnlyRootFilesystem then ["--read-only", "--read-only-tmpfs=false"] else [] end)
      + (if $sc.allowPrivilegeEscalation == false then ["--security-opt", "no-new-privileges"] else [] end)
      + (if $sc.privileged then ["--privileged"] else [] end)
      + [($sc.capabilities.drop // [])[] | "--cap-drop", .]
      + [($sc.capabilities.add // [])[] | "--cap-add", .]
      + (if $seccomp.type == "RuntimeDefault" then []
         elif $seccomp.type == "Unconfined" then ["--security-opt", "seccomp=unconfined"]
         else fail("seccompProfile \($seccomp.type)") end)
      + [($c.env // [])[]
         | if has("value") then "--env", "\(.name)=\(.value)"
           else fail("env \(.name) is not a literal value") end]
      + [($c.volumeMounts // [])[]
         | . as $m | $vols[$m.name] as $v
         | if $v == null then fail("volumeMount \($m.name) has no volume")
           elif $v.hostPath == null then fail("volume \($m.name) is not a hostPath")
           else "--volume", ("\($v.hostPath.path | if startswith("/var/log/") and $logroot != ""
                                   then $logroot + ltrimstr("/var/log") else . end):\($m.mountPath):"
                 + ([if $m.readOnly then "ro" else "rw" end]
                    + (if $m.mountPropagation == "HostToContainer" then ["rslave"]
                       elif $m.mountPropagation == "Bidirectional" then ["rshared"]
                       else ["rprivate"] end) | join(",")))
           end]
      + (if $c.resources.limits.memory then ["--memory", ($c.resources.limits.memory | mem_size)] else [] end)
      + (if $c.resources.limits.cpu then ["--cpus", ($c.resources.limits.cpu | cpus)] else [] end)
    )
  }
