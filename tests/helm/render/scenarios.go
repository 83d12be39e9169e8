package main

import (
	"fmt"
	"reflect"
	"strings"
)

// firstContainer: the first container of the one object of that kind.
func firstContainer(r *Result, kind string) map[string]interface{} {
	l, _ := dig(r.One(kind), "spec", "template", "spec", "containers").([]interface{})
	if len(l) == 0 {
		return map[string]interface{}{}
	}
	return mapOf(l[0])
}

// container: the node exporter's (DaemonSet); jetstreamContainer: the
// JetStream poller's (Deployment).
func container(r *Result) map[string]interface{}          { return firstContainer(r, "DaemonSet") }
func jetstreamContainer(r *Result) map[string]interface{} { return firstContainer(r, "Deployment") }

func podSpec(r *Result) map[string]interface{} {
	return mapOf(dig(r.One("DaemonSet"), "spec", "template", "spec"))
}

func jetstreamPodSpec(r *Result) map[string]interface{} {
	return mapOf(dig(r.One("Deployment"), "spec", "template", "spec"))
}

func envVar(c map[string]interface{}, name string) map[string]interface{} {
	for _, e := range listAt(c, "env") {
		if str(mapOf(e)["name"]) == name {
			return mapOf(e)
		}
	}
	return nil
}

func volume(pod map[string]interface{}, name string) map[string]interface{} {
	for _, v := range listAt(pod, "volumes") {
		if str(mapOf(v)["name"]) == name {
			return mapOf(v)
		}
	}
	return nil
}

func secretItems(v map[string]interface{}) map[string]string {
	out := map[string]string{}
	for _, it := range listAt(mapAt(v, "secret"), "items") {
		m := mapOf(it)
		out[str(m["key"])] = str(m["path"])
	}
	return out
}

func scenarios() []Scenario {
	base := map[string]int{"ServiceAccount": 1, "Service": 1, "DaemonSet": 1}
	withNats := map[string]int{"ServiceAccount": 1, "Service": 2, "DaemonSet": 1, "Deployment": 1}
	allOn := map[string]int{"ServiceAccount": 1, "Service": 2, "DaemonSet": 1, "Deployment": 1, "ServiceMonitor": 2,
		"PrometheusRule": 1, "ConfigMap": dashboardCount}
	return []Scenario{
		{
			Name:  "default values",
			Kinds: base,
			Expect: func(s *Suite, r *Result) {
				c := container(r)
				args := strs(c["args"])
				s.Check(reflect.DeepEqual(args, []string{
					"--web.listen-address=:9913", "--web.telemetry-path=/metrics", "--web.max-requests=8",
					"--log.level=info", "--log.format=logfmt", "--path.sysfs=/host/sys",
					"--path.procfs=/host/proc", "--path.podlogs=/host/var/log",
				}), "args are exactly the defaults (pod names on)", "got %q", args)
				s.Check(str(c["image"]) == "memacct/memacct-exporter:"+r.Chart.Meta.AppVersion, "image tag defaults to appVersion", "got %v", c["image"])
				res := mapAt(c, "resources")
				s.Check(str(dig(res, "requests", "cpu")) == "20m" && str(dig(res, "requests", "memory")) == "24Mi" &&
					str(dig(res, "limits", "memory")) == "64Mi", "resources: requests cpu 20m memory 24Mi, limits memory 64Mi")
				tol := listAt(podSpec(r), "tolerations")
				s.Check(len(tol) == 1 && reflect.DeepEqual(mapOf(tol[0]), map[string]interface{}{"operator": "Exists"}),
					"tolerations: operator Exists (every node)")
				s.Check(c["env"] == nil, "no env")
				s.Check(r.One("Deployment") == nil, "no JetStream poller")
				psc := mapAt(podSpec(r), "securityContext")
				s.Check(num(psc["runAsUser"]) == 65534 && num(psc["runAsGroup"]) == 65534, "runs as 65534:65534")
				s.Check(str(dig(r.One("DaemonSet"), "metadata", "name")) == "memacct-memacct-exporter" &&
					str(dig(r.One("DaemonSet"), "metadata", "namespace")) == namespace, "named <release>-memacct-exporter in the release namespace")
				s.Check(str(podSpec(r)["serviceAccountName"]) == str(dig(r.One("ServiceAccount"), "metadata", "name")),
					"the pods use the chart's ServiceAccount")
				svc := r.One("Service")
				s.Check(int(num(dig(listAt(mapAt(svc, "spec"), "ports")[0], "port"))) == 9913, "Service port 9913")
			},
		},
		{
			Name:  "values-all-on.yaml",
			Files: []string{"values-all-on.yaml"},
			Kinds: allOn,
			Expect: func(s *Suite, r *Result) {
				c := container(r)
				args := strs(c["args"])
				for _, a := range []string{
					"--web.max-requests=20", "--log.level=debug", "--log.format=json",
					"--path.podlogs=/host/var/log", "--collector.process.pss",
					`--collector.cgroup.include=^/kubepods`, `--collector.cgroup.exclude=/init\.scope$`,
					"--collector.cgroup.max-depth=8",
				} {
					s.Check(contains(args, a), "args: "+a)
				}
				n := len(args)
				s.Check(n >= 1 && args[n-1] == "--web.config.file=/etc/memacct/web/web.yml",
					"args: extraArgs come last")
				s.Check(envVar(c, "TZ") != nil && envVar(c, "MEMACCT_NATS_USER") == nil, "DaemonSet env: extraEnv, no NATS variable")
				s.Check(volume(podSpec(r), "web-config") != nil, "DaemonSet: extraVolumes appended")
				jc := jetstreamContainer(r)
				jargs := strs(jc["args"])
				for _, a := range []string{
					"--web.max-requests=20", "--log.level=debug", "--log.format=json",
					"--nats.url=nats://nats-0.nats.nats.svc:4222,nats://nats-1.nats.nats.svc:4222",
					"--nats.poll-interval=30s", "--nats.stream-include=^ORDERS", "--nats.stream-exclude=^KV_",
					"--nats.max-streams=500",
					"--nats.creds=/etc/memacct/nats/auth/nats.creds", "--nats.nkey=/etc/memacct/nats/auth/nkey.seed",
					"--nats.user=$(MEMACCT_NATS_USER)", "--nats.password-file=/etc/memacct/nats/auth/password",
					"--nats.token-file=/etc/memacct/nats/auth/token",
					"--nats.tls.ca=/etc/memacct/nats/tls/ca.crt", "--nats.tls.cert=/etc/memacct/nats/tls/tls.crt",
					"--nats.tls.key=/etc/memacct/nats/tls/tls.key",
				} {
					s.Check(contains(jargs, a), "poller args: "+a)
				}
				jn := len(jargs)
				s.Check(jn >= 2 && jargs[jn-2] == "--nats.poll-timeout=5s" && jargs[jn-1] == "--web.config.file=/etc/memacct/web/web.yml",
					"poller args: nats.extraArgs come last, in order")
				s.Check(!contains(jargs, "--collector.process.pss") && !hasPrefix(jargs, "--collector.cgroup"),
					"poller args: none of the node exporter's collector settings")
				s.Check(envVar(jc, "MEMACCT_NATS_PASSWORD") == nil, "passwordFrom file: no MEMACCT_NATS_PASSWORD env")
				s.Check(envVar(jc, "MEMACCT_NATS_TOKEN") == nil && !hasPrefix(jargs, "--nats.token="),
					"token: a file (--nats.token-file), never in env or argv")
				for name, key := range map[string]string{"MEMACCT_NATS_USER": "username"} {
					e := envVar(jc, name)
					ref := mapOf(dig(e, "valueFrom", "secretKeyRef"))
					s.Check(str(ref["name"]) == "memacct-nats" && str(ref["key"]) == key, "poller env: "+name+" from Secret memacct-nats key "+key)
				}
				s.Check(envVar(jc, "TZ") != nil, "poller env: extraEnv appended")
				jpod := jetstreamPodSpec(r)
				s.Check(num(dig(jpod, "securityContext", "runAsUser")) == 65534, "poller: pss does not make it root (it reads no /proc)")
				auth := volume(jpod, "nats-auth")
				s.Check(str(dig(auth, "secret", "secretName")) == "memacct-nats" &&
					reflect.DeepEqual(secretItems(auth), map[string]string{"user.creds": "nats.creds", "user.nk": "nkey.seed", "password": "password", "token": "token"}),
					"volume nats-auth: only the creds, nkey, password and token keys of memacct-nats, as files", "got %v", auth)
				s.Check(num(dig(auth, "secret", "defaultMode")) == 0o440, "volume nats-auth: mode 0440")
				tls := volume(jpod, "nats-tls")
				s.Check(str(dig(tls, "secret", "secretName")) == "memacct-nats-tls" &&
					reflect.DeepEqual(secretItems(tls), map[string]string{"ca.crt": "ca.crt", "tls.crt": "tls.crt", "tls.key": "tls.key"}),
					"volume nats-tls: ca.crt, tls.crt, tls.key of memacct-nats-tls")
				s.Check(volume(jpod, "web-config") != nil, "poller: extraVolumes appended")
				s.Check(str(c["image"]) == "registry.example.com/memacct/memacct-exporter:0.1.0-test", "image repository:tag from values")
				p := podSpec(r)
				s.Check(str(p["serviceAccountName"]) == "memacct-sa" && str(dig(r.One("ServiceAccount"), "metadata", "name")) == "memacct-sa",
					"ServiceAccount memacct-sa created and used")
				s.Check(len(listAt(p, "imagePullSecrets")) == 1, "imagePullSecrets")
				s.Check(p["affinity"] != nil, "affinity")
				ds := r.One("DaemonSet")
				s.Check(str(dig(ds, "metadata", "name")) == "memacct-exporter-all" && str(dig(ds, "metadata", "namespace")) == "observability",
					"fullnameOverride and namespaceOverride")
				s.Check(str(dig(ds, "spec", "template", "metadata", "labels", "example.com/tier")) == "monitoring" &&
					str(dig(ds, "spec", "template", "metadata", "labels", "team")) == "sre", "podLabels and commonLabels on the pods")
				sm := byComponent(r.ByKind("ServiceMonitor"))["exporter"]
				ep := mapOf(listAt(mapAt(sm, "spec"), "endpoints")[0])
				s.Check(str(ep["interval"]) == "15s" && str(ep["scrapeTimeout"]) == "10s" && ep["honorLabels"] == true,
					"ServiceMonitor: interval, scrapeTimeout, honorLabels")
				s.Check(len(listAt(ep, "relabelings")) == 4 && len(listAt(ep, "metricRelabelings")) == 1,
					"ServiceMonitor: node and cluster relabelings, then the extra ones; metricRelabelings")
				s.Check(str(dig(sm, "metadata", "labels", "release")) == "kube-prometheus-stack" &&
					str(dig(sm, "metadata", "namespace")) == "prometheus", "ServiceMonitor: labels and namespace")
				pr := r.One("PrometheusRule")
				s.Check(str(dig(pr, "metadata", "labels", "release")) == "kube-prometheus-stack" &&
					str(dig(pr, "metadata", "namespace")) == "prometheus", "PrometheusRule: labels and namespace")
				for _, cm := range r.ByKind("ConfigMap") {
					s.Check(str(dig(cm, "metadata", "namespace")) == "grafana" && str(dig(cm, "metadata", "annotations", "grafana_folder")) == "Memory",
						"dashboard ConfigMap "+str(dig(cm, "metadata", "name"))+": namespace and annotations")
				}
				s.Check(strings.Contains(r.Notes, "SYS_PTRACE") && !strings.Contains(r.Notes, "--nats.token"),
					"NOTES.txt: says that PSS runs as root with SYS_PTRACE; no token warning (the token is a file)")
			},
		},
		{
			Name:    "values-all-on.yaml with test rules and dashboard",
			Files:   []string{"values-all-on.yaml"},
			Overlay: "testdata",
			Inline: `
prometheusRule:
  disabled:
    MemacctTestDisabled: true
    MemacctTestOnlyInGroup2: true
`,
			Kinds: allOn,
			Expect: func(s *Suite, r *Result) {
				groups := listAt(mapAt(r.One("PrometheusRule"), "spec"), "groups")
				var names []string
				rules := map[string]map[string]interface{}{}
				for _, g := range groups {
					names = append(names, str(mapOf(g)["name"]))
					for _, rl := range listAt(mapOf(g), "rules") {
						rm := mapOf(rl)
						rules[str(rm["alert"])+str(rm["record"])] = rm
					}
				}
				s.Check(reflect.DeepEqual(names, []string{"memacct-test.records", "memacct-extra"}),
					"PrometheusRule: a group whose rules are all disabled is left out; extraGroups last", "got %v", names)
				s.Check(rules["MemacctTestDisabled"] == nil, "PrometheusRule: a disabled alert is left out")
				kept := rules["MemacctTestKept"]
				s.Check(reflect.DeepEqual(mapAt(kept, "labels"), map[string]interface{}{"severity": "warning", "team": "storage"}),
					"PrometheusRule: additionalRuleLabels added, the rule's own label wins", "got %v", mapAt(kept, "labels"))
				s.Check(str(dig(kept, "annotations", "summary")) == "JetStream poller on {{ $labels.instance }} is down",
					"PrometheusRule: alert templates ({{ $labels.x }}) pass through untouched")
				s.Check(strings.Contains(str(rules["memacct:cgroup_working_set_reclaimable:ratio"]["expr"]), "/ on (cgroup)"),
					"PrometheusRule: multi-line expr kept")
				s.Check(rules["memacct:cgroup_working_set_reclaimable:ratio"]["labels"] == nil,
					"PrometheusRule: recording rules get no additionalRuleLabels")
				cms := r.ByKind("ConfigMap")
				s.Check(len(cms) >= 1, "dashboard ConfigMap from the overlay")
				for _, cm := range cms {
					if d, ok := mapAt(cm, "data")["memacct-test.json"]; ok {
						s.Check(strings.Contains(str(d), `"title": "memacct test dashboard <&>"`),
							"dashboard: HTML characters and quotes survive")
						s.Check(str(dig(cm, "metadata", "name")) == "memacct-exporter-all-dashboard-memacct-test",
							"dashboard ConfigMap named <fullname>-dashboard-<file>")
					}
				}
			},
		},
		{
			Name:  "values-nats-env.yaml",
			Files: []string{"values-nats-env.yaml"},
			Kinds: withNats,
			Expect: func(s *Suite, r *Result) {
				jc := jetstreamContainer(r)
				args := strs(jc["args"])
				s.Check(contains(args, "--nats.url=nats://nats.nats.svc:4222") && contains(args, "--nats.poll-interval=15s"),
					"args: --nats.url and the default --nats.poll-interval=15s")
				s.Check(contains(args, "--nats.user=$(MEMACCT_NATS_USER)") && !hasPrefix(args, "--nats.password-file"),
					"args: --nats.user, no --nats.password-file")
				e := envVar(jc, "MEMACCT_NATS_PASSWORD")
				ref := mapOf(dig(e, "valueFrom", "secretKeyRef"))
				s.Check(str(ref["name"]) == "memacct-nats" && str(ref["key"]) == "password",
					"env: MEMACCT_NATS_PASSWORD from Secret memacct-nats key password")
				s.Check(volume(jetstreamPodSpec(r), "nats-auth") == nil, "no Secret volume when nothing is read from a file")
				s.Check(!hasPrefix(args, "--nats.creds") && !hasPrefix(args, "--nats.nkey") && !hasPrefix(args, "--nats.token") &&
					!hasPrefix(args, "--nats.tls."), "args: no creds, nkey, token or TLS flags")
			},
		},
		{
			Name: "collectors off, pss requested with the process collector off",
			Inline: `
collectors:
  cgroup: {enabled: false}
  process: {enabled: false, pss: true}
  node: {enabled: false}
image: {digest: "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}
serviceAccount: {create: false}
service: {enabled: false}
livenessProbe: {enabled: false}
tolerations: []
`,
			Kinds: map[string]int{"DaemonSet": 1},
			Expect: func(s *Suite, r *Result) {
				c := container(r)
				args := strs(c["args"])
				for _, a := range []string{"--no-collector.cgroup", "--no-collector.process", "--no-collector.node"} {
					s.Check(contains(args, a), "args: "+a)
				}
				s.Check(str(c["image"]) == "memacct/memacct-exporter@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
					"image pinned by digest")
				s.Check(str(podSpec(r)["serviceAccountName"]) == "default", "serviceAccount.create false: the default ServiceAccount")
				s.Check(c["livenessProbe"] == nil && c["readinessProbe"] != nil, "livenessProbe off, readinessProbe on")
				s.Check(podSpec(r)["tolerations"] == nil, "tolerations can be emptied")
			},
		},
		{
			Name:   "podNames only, custom port",
			Inline: "podNames: {enabled: true}\nweb: {port: 9100}\nservice: {port: 80}\n",
			Kinds:  base,
			Expect: func(s *Suite, r *Result) {
				ports := listAt(mapAt(r.One("Service"), "spec"), "ports")
				s.Check(int(num(mapOf(ports[0])["port"])) == 80 && str(mapOf(ports[0])["targetPort"]) == "metrics",
					"Service port 80 targets the container's metrics port")
				s.Check(strings.Contains(r.Notes, "9100"), "NOTES.txt uses the exporter's port")
			},
		},
		{Name: "bad nats.auth.passwordFrom", Inline: "nats: {url: nats://x:4222, auth: {existingSecret: s, userKey: u, passwordKey: p, passwordFrom: argv}}\n",
			WantErr: "nats.auth.passwordFrom must be"},
		{Name: "nats key without a Secret", Inline: "nats: {url: nats://x:4222, auth: {credsKey: c}}\n",
			WantErr: "nats.auth.existingSecret is empty"},
		{Name: "nats password without user", Inline: "nats: {url: nats://x:4222, auth: {existingSecret: s, passwordKey: p}}\n",
			WantErr: "nats.auth.passwordKey needs nats.auth.userKey"},
		{Name: "nats Secret without keys", Inline: "nats: {url: nats://x:4222, auth: {existingSecret: s}}\n",
			WantErr: "none of credsKey"},
		{Name: "ServiceMonitor without Service", Inline: "service: {enabled: false}\nserviceMonitor: {enabled: true}\n",
			WantErr: "serviceMonitor.enabled needs service.enabled"},
		{Name: "no image repository", Inline: "image: {repository: \"\"}\n", WantErr: "image.repository is required"},
		{Name: "a --nats.* flag in the DaemonSet's extraArgs", Inline: "extraArgs: [--nats.url=nats://x:4222]\n",
			WantErr: "the DaemonSet never polls NATS; put --nats.* flags in nats.extraArgs"},
	}
}

var _ = fmt.Sprint
