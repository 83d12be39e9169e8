package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"

	yaml2 "gopkg.in/yaml.v2"
	yaml3 "gopkg.in/yaml.v3"
)

const (
	releaseName = "memacct"
	namespace   = "monitoring"
)

// Suite runs the static checks and every scenario.
type Suite struct {
	*T
	Root, Chart, TestDir string
	// Out is every rendered document of every scenario, for the schema check.
	Out  []OutDoc
	YAML map[string]string
	// Flags is the exporter's flag table (src/cli/flags.c): name -> kind
	// (STR, INT, UINT, DUR, BOOL); nil when that file is absent.
	Flags map[string]string
}

type OutDoc struct {
	Scenario string                 `json:"scenario"`
	Source   string                 `json:"source"`
	Doc      map[string]interface{} `json:"doc"`
}

// Scenario is one set of values to render with, and what it must give.
type Scenario struct {
	Name    string
	Files   []string // values files, relative to tests/helm
	Inline  string   // YAML applied after Files
	Overlay string   // directory (relative to tests/helm) overlaying the chart's files
	WantErr string   // the render must fail with this in the error
	Kinds   map[string]int
	Expect  func(s *Suite, r *Result)
}

// dashboardCount in Scenario.Kinds: as many as the chart has dashboards.
const dashboardCount = -1

// Result is one rendering, parsed.
type Result struct {
	Values map[string]interface{}
	Docs   []Doc
	Notes  string
	Chart  *LoadedChart
}

func (r *Result) ByKind(kind string) []map[string]interface{} {
	var out []map[string]interface{}
	for _, d := range r.Docs {
		if d.Obj["kind"] == kind {
			out = append(out, d.Obj)
		}
	}
	return out
}

func (r *Result) One(kind string) map[string]interface{} {
	l := r.ByKind(kind)
	if len(l) != 1 {
		return nil
	}
	return l[0]
}

func (s *Suite) Run() {
	s.YAML = map[string]string{}
	s.Scope("static (Chart.yaml, values.yaml documented, copies of rules and dashboards)")
	s.checkChartYAML()
	s.checkValuesDocumented()
	s.checkCopies()
	s.loadFlags()
	for _, sc := range scenarios() {
		s.runScenario(sc)
	}
}

// ---- static checks -------------------------------------------------------

func (s *Suite) checkChartYAML() {
	c, err := LoadChart(s.Chart, "")
	if !s.Check(err == nil, "chart loads (Chart.yaml, values.yaml, templates/)", err) {
		return
	}
	s.Check(c.Meta.APIVersion == "v2", "Chart.yaml apiVersion is v2", "got %q", c.Meta.APIVersion)
	s.Check(c.Meta.Name == "memacct-exporter", "Chart.yaml name is memacct-exporter", "got %q", c.Meta.Name)
	semver := regexp.MustCompile(`^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$`)
	s.Check(semver.MatchString(c.Meta.Version), "Chart.yaml version is SemVer 2", "got %q", c.Meta.Version)
	s.Check(c.Meta.AppVersion != "", "Chart.yaml has an appVersion")
	s.Check(c.Meta.Type == "application", "Chart.yaml type is application", "got %q", c.Meta.Type)
	for _, f := range []string{"templates/_helpers.tpl", "templates/NOTES.txt", "templates/daemonset.yaml", "templates/jetstream-deployment.yaml",
		"templates/service.yaml", "templates/servicemonitor.yaml", "templates/prometheusrule.yaml",
		"templates/dashboards-configmap.yaml"} {
		_, ok := c.Templates[f]
		s.Check(ok, "chart has "+f)
	}
	helpers := c.Templates["templates/_helpers.tpl"]
	for _, d := range []string{"memacct-exporter.name", "memacct-exporter.fullname", "memacct-exporter.chart",
		"memacct-exporter.labels", "memacct-exporter.selectorLabels", "memacct-exporter.jetstreamLabels",
		"memacct-exporter.jetstreamSelectorLabels"} {
		s.Check(strings.Contains(helpers, `define "`+d+`"`), "_helpers.tpl defines "+d)
	}
}

// Every key of every mapping in values.yaml has a comment directly above it.
func (s *Suite) checkValuesDocumented() {
	data, err := os.ReadFile(filepath.Join(s.Chart, "values.yaml"))
	if !s.Check(err == nil, "values.yaml readable", err) {
		return
	}
	var doc yaml3.Node
	if !s.Check(yaml3.Unmarshal(data, &doc) == nil, "values.yaml parses") {
		return
	}
	var missing []string
	n := 0
	var walk func(node *yaml3.Node, prefix string)
	walk = func(node *yaml3.Node, prefix string) {
		switch node.Kind {
		case yaml3.DocumentNode:
			for _, c := range node.Content {
				walk(c, prefix)
			}
		case yaml3.MappingNode:
			for i := 0; i+1 < len(node.Content); i += 2 {
				k, v := node.Content[i], node.Content[i+1]
				name := prefix + k.Value
				n++
				if strings.TrimSpace(k.HeadComment) == "" {
					missing = append(missing, fmt.Sprintf("%s (line %d)", name, k.Line))
				}
				if v.Kind == yaml3.MappingNode {
					walk(v, name+".")
				}
			}
		}
	}
	walk(&doc, "")
	s.Check(len(missing) == 0 && n > 50, fmt.Sprintf("values.yaml: all %d fields have a comment above them", n),
		"undocumented: %s", strings.Join(missing, ", "))
}

// The chart's copies of the rules and dashboards equal their sources.
func (s *Suite) checkCopies() {
	src := filepath.Join(s.Root, "dashboards", "rules", "memacct.rules.yml")
	dst := filepath.Join(s.Chart, "files", "memacct.rules.yml")
	a, errA := os.ReadFile(src)
	b, errB := os.ReadFile(dst)
	s.Check(errB == nil, "chart has files/memacct.rules.yml", errB)
	s.Check(errA == nil, "dashboards/rules/memacct.rules.yml exists", errA)
	s.Check(bytes.Equal(a, b), "files/memacct.rules.yml is identical to dashboards/rules/memacct.rules.yml",
		"they differ: run tests/helm/sync-chart-files.sh")
	srcJSON, _ := filepath.Glob(filepath.Join(s.Root, "dashboards", "*.json"))
	dstJSON, _ := filepath.Glob(filepath.Join(s.Chart, "files", "dashboards", "*.json"))
	names := func(l []string) []string {
		out := []string{}
		for _, p := range l {
			out = append(out, filepath.Base(p))
		}
		sort.Strings(out)
		return out
	}
	s.Check(reflect.DeepEqual(names(srcJSON), names(dstJSON)),
		fmt.Sprintf("files/dashboards/ holds exactly the dashboards of dashboards/*.json (%d)", len(srcJSON)),
		"source %v, chart %v: run tests/helm/sync-chart-files.sh", names(srcJSON), names(dstJSON))
	for _, p := range srcJSON {
		base := filepath.Base(p)
		a, _ := os.ReadFile(p)
		b, err := os.ReadFile(filepath.Join(s.Chart, "files", "dashboards", base))
		if err != nil {
			continue
		}
		s.Check(bytes.Equal(a, b), "files/dashboards/"+base+" is identical to dashboards/"+base,
			"they differ: run tests/helm/sync-chart-files.sh")
	}
	for _, p := range dstJSON {
		b, _ := os.ReadFile(p)
		var v interface{}
		err := json.Unmarshal(b, &v)
		s.Check(err == nil, "files/dashboards/"+filepath.Base(p)+" is valid JSON", err)
	}
}

// loadFlags reads the flag table of src/cli/flags.c, so that the chart passes
// only flags the exporter has, with values of the right form.
func (s *Suite) loadFlags() {
	data, err := os.ReadFile(filepath.Join(s.Root, "src", "cli", "flags.c"))
	if err != nil {
		s.Check(false, "the chart's flags are the exporter's", "src/cli/flags.c: %v", err)
		return
	}
	re := regexp.MustCompile(`\b(STR|INT|UINT|DUR|BOOL)\(\s*"([a-z0-9.-]+)"`)
	s.Flags = map[string]string{}
	for _, m := range re.FindAllStringSubmatch(string(data), -1) {
		s.Flags[m[2]] = m[1]
	}
	s.Check(len(s.Flags) > 20 && s.Flags["web.listen-address"] != "" && s.Flags["nats.url"] != "",
		fmt.Sprintf("src/cli/flags.c: read the exporter's flag table (%d flags)", len(s.Flags)))
}

// The collectors --[no-]collector.NAME may name (SPEC.md section 1).
var collectorNames = map[string]bool{"cgroup": true, "process": true, "node": true, "jetstream": true}

func (s *Suite) checkFlagsKnown(r *Result) {
	if s.Flags == nil {
		return
	}
	vals := map[string]*regexp.Regexp{
		"INT":  regexp.MustCompile(`^-?[0-9]+$`),
		"UINT": regexp.MustCompile(`^[0-9]+$`),
		"DUR":  regexp.MustCompile(`^[0-9]+[smh]?$`),
		"BOOL": regexp.MustCompile(`^(true|false)$`),
		"STR":  regexp.MustCompile(`^.+$`),
	}
	args := strs(container(r)["args"])
	args = append(args, strs(jetstreamContainer(r)["args"])...)
	for _, a := range args {
		name := strings.TrimPrefix(a, "--")
		v, hasV := "", false
		if i := strings.IndexByte(name, '='); i >= 0 {
			name, v, hasV = name[:i], name[i+1:], true
		}
		kind, known := s.Flags[name]
		switch {
		case known && !hasV:
			s.Check(kind == "BOOL", "flags: "+a+" is a flag of the exporter (src/cli/flags.c), a boolean", "it is %s and needs a value", kind)
		case known:
			s.Check(vals[kind].MatchString(v), "flags: "+a+" is a flag of the exporter (src/cli/flags.c), with a valid "+kind+" value")
		case !hasV && (strings.HasPrefix(name, "collector.") || strings.HasPrefix(name, "no-collector.")):
			c := name[strings.IndexByte(name, '.')+1:]
			s.Check(collectorNames[c], "flags: "+a+" toggles a known collector")
		default:
			s.Check(false, "flags: "+a+" is a flag of the exporter (src/cli/flags.c)", "unknown")
		}
	}
}

// ---- scenarios -----------------------------------------------------------

func (s *Suite) render(sc Scenario, strict bool) (*Result, error) {
	overlay := ""
	if sc.Overlay != "" {
		overlay = filepath.Join(s.TestDir, sc.Overlay)
	}
	c, err := LoadChart(s.Chart, overlay)
	if err != nil {
		return nil, err
	}
	var user []map[string]interface{}
	for _, f := range sc.Files {
		data, err := os.ReadFile(filepath.Join(s.TestDir, f))
		if err != nil {
			return nil, err
		}
		v, err := ReadValues(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", f, err)
		}
		user = append(user, v)
	}
	if sc.Inline != "" {
		v, err := ReadValues([]byte(sc.Inline))
		if err != nil {
			return nil, fmt.Errorf("inline values: %v", err)
		}
		user = append(user, v)
	}
	r, err := Render(c, user, RenderOptions{ReleaseName: releaseName, Namespace: namespace, Strict: strict,
		APIVersions: []string{"monitoring.coreos.com/v1"}})
	if err != nil {
		return nil, err
	}
	res := &Result{Values: r.Values, Notes: r.Notes, Chart: c}
	for _, d := range r.Documents() {
		// Duplicate keys: yaml.v3 refuses them (the API server would too).
		var strictCheck interface{}
		if err := yaml3.Unmarshal([]byte(d.Text), &strictCheck); err != nil {
			return nil, fmt.Errorf("%s: invalid YAML: %v\n%s", d.Source, err, d.Text)
		}
		// Kubernetes reads manifests as YAML 1.1 (sigs.k8s.io/yaml, yaml.v2).
		var v interface{}
		if err := yaml2.Unmarshal([]byte(d.Text), &v); err != nil {
			return nil, fmt.Errorf("%s: invalid YAML: %v", d.Source, err)
		}
		v, err = jsonRoundTrip(stringKeys(v))
		if err != nil {
			return nil, fmt.Errorf("%s: %v", d.Source, err)
		}
		obj, ok := v.(map[string]interface{})
		if !ok {
			return nil, fmt.Errorf("%s: a document is not a mapping:\n%s", d.Source, d.Text)
		}
		d.Obj = obj
		res.Docs = append(res.Docs, d)
	}
	return res, nil
}

func (s *Suite) runScenario(sc Scenario) {
	s.Scope(sc.Name)
	if sc.WantErr != "" {
		for _, strict := range []bool{false, true} {
			_, err := s.render(sc, strict)
			mode := map[bool]string{false: "", true: " (strict)"}[strict]
			s.Check(err != nil && strings.Contains(err.Error(), sc.WantErr),
				fmt.Sprintf("render fails%s with %q", mode, sc.WantErr), "got error: %v", err)
		}
		return
	}
	// Strict first (helm lint --strict: no reference to a value that values.yaml
	// lacks), then Helm's default mode; both must give the same documents.
	strictRes, err := s.render(sc, true)
	s.Check(err == nil, "renders in strict mode (missingkey=error)", err)
	r, err := s.render(sc, false)
	if !s.Check(err == nil, "renders", err) {
		return
	}
	if strictRes != nil {
		s.Check(len(strictRes.Docs) == len(r.Docs), "strict and default mode give the same documents")
	}
	var y strings.Builder
	for _, d := range r.Docs {
		fmt.Fprintf(&y, "---\n# Source: memacct-exporter/%s\n%s", d.Source, d.Text)
		s.Out = append(s.Out, OutDoc{Scenario: sc.Name, Source: d.Source, Doc: d.Obj})
	}
	s.YAML[sc.Name] = y.String()

	kinds := map[string]int{}
	for _, d := range r.Docs {
		kinds[fmt.Sprint(d.Obj["kind"])]++
	}
	want := map[string]int{}
	for k, v := range sc.Kinds {
		if v == dashboardCount { // one ConfigMap per dashboard the chart carries
			v = len(r.Chart.Files.Glob("files/dashboards/*.json"))
		}
		if v > 0 {
			want[k] = v
		}
	}
	s.Check(reflect.DeepEqual(kinds, want), fmt.Sprintf("renders the kinds %v", sortedKinds(want)),
		"got %v", kinds)
	s.checkCommon(r)
	s.checkDaemonSet(r)
	s.checkJetstream(r)
	s.checkFlagsKnown(r)
	s.checkService(r)
	s.checkServiceMonitor(r)
	s.checkPrometheusRule(r)
	s.checkDashboards(r)
	s.Check(strings.Contains(r.Notes, "memacct-exporter") && !strings.Contains(r.Notes, "<no value>"),
		"NOTES.txt renders")
	if sc.Expect != nil {
		sc.Expect(s, r)
	}
}

func sortedKinds(m map[string]int) string {
	var l []string
	for k, v := range m {
		l = append(l, fmt.Sprintf("%s×%d", k, v))
	}
	sort.Strings(l)
	return strings.Join(l, " ")
}

// ---- generic checks --------------------------------------------------------

func (s *Suite) checkCommon(r *Result) {
	dns := regexp.MustCompile(`^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$`)
	names := map[string]bool{}
	for _, d := range r.Docs {
		o := d.Obj
		kind := fmt.Sprint(o["kind"])
		md := mapAt(o, "metadata")
		name := str(md["name"])
		id := kind + "/" + name
		s.Check(str(o["apiVersion"]) != "" && kind != "" && name != "", d.Source+": has apiVersion, kind, metadata.name")
		s.Check(len(name) <= 253 && dns.MatchString(name), id+": name is a DNS subdomain")
		s.Check(!names[id], id+": is the only "+kind+" of that name")
		names[id] = true
		s.Check(str(md["namespace"]) != "", id+": has a namespace")
		l := mapAt(md, "labels")
		ok := true
		for _, k := range []string{"app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/version",
			"app.kubernetes.io/managed-by", "app.kubernetes.io/component", "app.kubernetes.io/part-of", "helm.sh/chart"} {
			if str(l[k]) == "" {
				ok = false
			}
		}
		s.Check(ok, id+": carries the recommended app.kubernetes.io labels and helm.sh/chart", "labels %v", l)
		s.Check(str(l["app.kubernetes.io/name"]) == "memacct-exporter" && str(l["app.kubernetes.io/instance"]) == releaseName &&
			str(l["app.kubernetes.io/managed-by"]) == "Helm", id+": name/instance/managed-by label values")
		for k, v := range l {
			if _, isStr := v.(string); !isStr {
				s.Check(false, id+": label values are strings", "%s=%v", k, v)
			}
		}
	}
}

// effective: a container setting, else the pod's.
func effective(ctr, pod map[string]interface{}, key string) (interface{}, bool) {
	if v, ok := ctr[key]; ok {
		return v, true
	}
	v, ok := pod[key]
	return v, ok
}

// checkPod checks what both exporter pods share: one container, no service
// account token, the security settings, the metrics port and probes, and
// that every file and $(VAR) an argument names is provided. who names the
// part in messages; pss: the DaemonSet with collectors.process.pss on.
func (s *Suite) checkPod(r *Result, who string, pod map[string]interface{}, pss bool) map[string]interface{} {
	vals := r.Values
	port := int(num(dig(vals, "web", "port")))
	s.Check(!truthy(pod["hostNetwork"]) && !truthy(pod["hostIPC"]), who+": no hostNetwork, no hostIPC")
	s.Check(pod["automountServiceAccountToken"] == false, who+": no service account token mounted")
	ctrs := listAt(pod, "containers")
	if !s.Check(len(ctrs) == 1, who+": one container") {
		return nil
	}
	s.Check(len(listAt(pod, "initContainers")) == 0 && len(listAt(pod, "ephemeralContainers")) == 0,
		who+": no init or ephemeral containers")
	c, _ := ctrs[0].(map[string]interface{})
	psc := mapAt(pod, "securityContext")
	sc := mapAt(c, "securityContext")

	// Security settings, explicitly.
	s.Check(sc["readOnlyRootFilesystem"] == true, who+": security: readOnlyRootFilesystem is true")
	s.Check(sc["allowPrivilegeEscalation"] == false, who+": security: allowPrivilegeEscalation is false")
	s.Check(!truthy(sc["privileged"]), who+": security: not privileged", "privileged=%v", sc["privileged"])
	caps := mapAt(sc, "capabilities")
	s.Check(reflect.DeepEqual(strs(caps["drop"]), []string{"ALL"}), who+": security: capabilities drop ALL", "drop=%v", caps["drop"])
	seccomp, _ := effective(sc, psc, "seccompProfile")
	s.Check(str(mapOf(seccomp)["type"]) == "RuntimeDefault", who+": security: seccompProfile RuntimeDefault", "got %v", seccomp)
	runAsNonRoot, _ := effective(sc, psc, "runAsNonRoot")
	runAsUser, hasUser := effective(sc, psc, "runAsUser")
	add := strs(caps["add"])
	if pss {
		s.Check(reflect.DeepEqual(add, []string{"SYS_PTRACE"}), who+": security: pss on: capabilities add exactly SYS_PTRACE", "add=%v", add)
		s.Check(hasUser && num(runAsUser) == 0 && runAsNonRoot != true,
			who+": security: pss on: runs as uid 0 (an added capability reaches only root)", "runAsUser=%v runAsNonRoot=%v", runAsUser, runAsNonRoot)
		s.Check(contains(strs(c["args"]), "--collector.process.pss"), who+": args: pss on: --collector.process.pss")
	} else {
		s.Check(len(add) == 0, who+": security: no capability added", "add=%v", add)
		s.Check(runAsNonRoot == true, who+": security: runAsNonRoot is true", "got %v", runAsNonRoot)
		s.Check(hasUser && num(runAsUser) != 0, who+": security: runAsUser is not 0", "got %v", runAsUser)
		s.Check(!contains(strs(c["args"]), "--collector.process.pss"), who+": args: no --collector.process.pss")
	}

	args := strs(c["args"])
	s.Check(contains(args, fmt.Sprintf("--web.listen-address=:%d", port)), fmt.Sprintf("%s: args: --web.listen-address=:%d", who, port))
	s.Check(c["command"] == nil, who+": the image's entrypoint runs (no command override)")
	for _, a := range args {
		s.Check(strings.HasPrefix(a, "--") && !strings.ContainsAny(a, "\n"), who+": args: "+a+" is one flag")
	}
	vols := map[string]map[string]interface{}{}
	for _, v := range listAt(pod, "volumes") {
		m := mapOf(v)
		vols[str(m["name"])] = m
	}
	mounts := map[string]map[string]interface{}{}
	allRO := true
	for _, m := range listAt(c, "volumeMounts") {
		mm := mapOf(m)
		mounts[str(mm["name"])] = mm
		if mm["readOnly"] != true {
			allRO = false
		}
		s.Check(vols[str(mm["name"])] != nil, who+": volumes: mount "+str(mm["name"])+" has a volume")
	}
	s.Check(allRO, who+": volumes: every volumeMount is readOnly")
	// Every file a flag names is a key of a mounted Secret.
	for _, a := range args {
		for _, f := range []string{"--nats.creds=", "--nats.nkey=", "--nats.password-file=", "--nats.tls.ca=",
			"--nats.tls.cert=", "--nats.tls.key="} {
			if strings.HasPrefix(a, f) {
				p := strings.TrimPrefix(a, f)
				s.Check(fileFromSecret(p, mounts, vols), who+": args: "+a+" names a file of a mounted Secret")
			}
		}
	}
	// Every $(VAR) in args is an env var of the container.
	env := map[string]map[string]interface{}{}
	for _, e := range listAt(c, "env") {
		m := mapOf(e)
		env[str(m["name"])] = m
	}
	ref := regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`)
	for _, a := range args {
		for _, m := range ref.FindAllStringSubmatch(a, -1) {
			s.Check(env[m[1]] != nil, who+": args: $("+m[1]+") is defined in env")
		}
	}
	for name, e := range env {
		if strings.HasPrefix(name, "MEMACCT_NATS_") {
			s.Check(len(mapAt(mapAt(e, "valueFrom"), "secretKeyRef")) > 0 && e["value"] == nil,
				who+": env: "+name+" comes from a Secret, not a literal")
		}
	}
	s.Check(!hasPrefix(args, "--nats.password="), who+": args: the password is never on the command line")

	// Ports and probes.
	ports := listAt(c, "ports")
	s.Check(len(ports) == 1 && str(mapOf(ports[0])["name"]) == "metrics" && int(num(mapOf(ports[0])["containerPort"])) == port,
		fmt.Sprintf("%s: port %d named metrics", who, port), "got %v", ports)
	for _, p := range []string{"livenessProbe", "readinessProbe"} {
		if truthy(dig(vals, p, "enabled")) {
			g := mapAt(mapAt(c, p), "httpGet")
			s.Check(str(g["path"]) == "/healthz" && str(g["port"]) == "metrics", who+": "+p+" GET /healthz on metrics")
		} else {
			s.Check(c[p] == nil, who+": no "+p)
		}
	}
	s.Check(dig(c, "resources", "limits", "cpu") == nil, who+": no CPU limit (no throttled scrapes)")
	return c
}

func (s *Suite) checkDaemonSet(r *Result) {
	ds := r.One("DaemonSet")
	if !s.Check(ds != nil, "exactly one DaemonSet") {
		return
	}
	vals := r.Values
	pss := truthy(dig(vals, "collectors", "process", "enabled")) && truthy(dig(vals, "collectors", "process", "pss"))
	podNames := truthy(dig(vals, "podNames", "enabled"))

	spec := mapAt(ds, "spec")
	tmpl := mapAt(spec, "template")
	pod := mapAt(tmpl, "spec")
	sel := mapAt(mapAt(spec, "selector"), "matchLabels")
	podLabels := mapAt(mapAt(tmpl, "metadata"), "labels")
	s.Check(len(sel) > 0 && subset(sel, podLabels), "DaemonSet: selector matches the pod template's labels",
		"selector %v labels %v", sel, podLabels)
	s.Check(pod["hostPID"] == true, "DaemonSet: hostPID is true")
	c := s.checkPod(r, "DaemonSet", pod, pss)
	if c == nil {
		return
	}

	// Volumes: host paths read-only, each where the flags say.
	vols := map[string]map[string]interface{}{}
	for _, v := range listAt(pod, "volumes") {
		m := mapOf(v)
		vols[str(m["name"])] = m
	}
	mounts := map[string]map[string]interface{}{}
	for _, m := range listAt(c, "volumeMounts") {
		mm := mapOf(m)
		mounts[str(mm["name"])] = mm
	}
	hostMounts := map[string]string{} // host path -> mount path
	for name, v := range vols {
		if hp := mapAt(v, "hostPath"); len(hp) > 0 {
			m, ok := mounts[name]
			s.Check(ok && m["readOnly"] == true, "volumes: hostPath "+str(hp["path"])+" is mounted read-only")
			hostMounts[str(hp["path"])] = str(m["mountPath"])
		}
	}
	want := map[string]string{
		str(dig(vals, "hostPaths", "cgroupfs")): "/host/sys/fs/cgroup",
		str(dig(vals, "hostPaths", "procfs")):   "/host/proc",
	}
	if podNames {
		logs := strings.TrimSuffix(str(dig(vals, "podNames", "hostPath")), "/")
		want[logs+"/containers"] = "/host/var/log/containers"
		want[logs+"/pods"] = "/host/var/log/pods"
	}
	s.Check(reflect.DeepEqual(hostMounts, want), "volumes: the host paths are exactly cgroupfs, /proc"+
		map[bool]string{true: ", /var/log/containers and /var/log/pods", false: ""}[podNames],
		"got %v want %v", hostMounts, want)

	args := strs(c["args"])
	// --path.sysfs, not --path.cgroupfs: the exporter finds the memory
	// hierarchy below <sysfs>/fs/cgroup on v1, hybrid and v2 nodes alike.
	for _, a := range []string{"--path.sysfs=/host/sys", "--path.procfs=/host/proc"} {
		s.Check(contains(args, a), "args: "+a)
	}
	s.Check(!hasPrefix(args, "--path.cgroupfs"), "args: no --path.cgroupfs (on v1 and hybrid nodes /sys/fs/cgroup is a tmpfs of controllers)")
	if podNames {
		s.Check(contains(args, "--path.podlogs=/host/var/log"), "args: pod names on: --path.podlogs=/host/var/log")
	} else {
		s.Check(!hasPrefix(args, "--path.podlogs"), "args: pod names off: no --path.podlogs")
	}
	// JetStream is the poller Deployment's, never a node exporter's.
	s.Check(!hasPrefix(args, "--nats."), "DaemonSet: no --nats.* flag, whatever the values", "args %q", args)
	for _, e := range listAt(c, "env") {
		s.Check(!strings.HasPrefix(str(mapOf(e)["name"]), "MEMACCT_NATS_"), "DaemonSet: no MEMACCT_NATS_* env ("+str(mapOf(e)["name"])+")")
	}
	s.Check(vols["nats-auth"] == nil && vols["nats-tls"] == nil, "DaemonSet: no NATS Secret volume")

	res := mapAt(c, "resources")
	s.Check(reflect.DeepEqual(res, mapOf(vals["resources"])), "DaemonSet: resources as in values")
	if truthy(vals["tolerations"]) {
		s.Check(reflect.DeepEqual(pod["tolerations"], vals["tolerations"]), "pod: tolerations as in values")
	} else {
		s.Check(pod["tolerations"] == nil, "pod: no tolerations (none in values)")
	}
	if pc := str(vals["priorityClassName"]); pc != "" {
		s.Check(str(pod["priorityClassName"]) == pc, "pod: priorityClassName "+pc)
	} else {
		s.Check(pod["priorityClassName"] == nil, "pod: no priorityClassName")
	}
}

// checkJetstream: with nats.url, one poller pod (Deployment, one replica,
// Recreate) runs the jetstream collector alone, with the DaemonSet's image
// and security settings, on no host path; its selector and the DaemonSet's
// never match each other's pods. Without nats.url, no poller at all.
func (s *Suite) checkJetstream(r *Result) {
	vals := r.Values
	url := str(dig(vals, "nats", "url"))
	deps := r.ByKind("Deployment")
	if url == "" {
		s.Check(len(deps) == 0, "no nats.url: no JetStream poller Deployment")
		return
	}
	if !s.Check(len(deps) == 1, "nats.url: exactly one Deployment, the JetStream poller") {
		return
	}
	d := deps[0]
	spec := mapAt(d, "spec")
	s.Check(num(spec["replicas"]) == 1, "poller: replicas 1 (each stream polled once)", "got %v", spec["replicas"])
	s.Check(str(dig(spec, "strategy", "type")) == "Recreate", "poller: strategy Recreate (never two pollers)")
	s.Check(strings.HasSuffix(str(dig(d, "metadata", "name")), "-jetstream"), "poller: named <fullname>-jetstream")
	tmpl := mapAt(spec, "template")
	pod := mapAt(tmpl, "spec")
	sel := mapAt(mapAt(spec, "selector"), "matchLabels")
	podLabels := mapAt(mapAt(tmpl, "metadata"), "labels")
	s.Check(len(sel) > 0 && subset(sel, podLabels), "poller: selector matches its pod template's labels")
	if ds := r.One("DaemonSet"); ds != nil {
		dsSel := mapOf(dig(ds, "spec", "selector", "matchLabels"))
		dsPod := mapOf(dig(ds, "spec", "template", "metadata", "labels"))
		s.Check(!subset(dsSel, podLabels) && !subset(sel, dsPod), "poller and DaemonSet: neither selector matches the other's pods",
			"poller selector %v, DaemonSet selector %v", sel, dsSel)
	}
	s.Check(!truthy(pod["hostPID"]), "poller: no hostPID")
	for _, v := range listAt(pod, "volumes") {
		s.Check(len(mapAt(mapOf(v), "hostPath")) == 0, "poller: no hostPath volume ("+str(mapOf(v)["name"])+")")
	}
	c := s.checkPod(r, "poller", pod, false)
	if c == nil {
		return
	}
	s.Check(str(c["image"]) == str(container(r)["image"]), "poller: the DaemonSet's image", "got %v", c["image"])
	args := strs(c["args"])
	for _, a := range []string{"--no-collector.cgroup", "--no-collector.process", "--no-collector.node", "--nats.url=" + url} {
		s.Check(contains(args, a), "poller: args: "+a)
	}
	s.Check(!hasPrefix(args, "--path.") && !hasPrefix(args, "--collector."), "poller: no --path.* or --collector.* flag", "args %q", args)
	extra := strs(dig(vals, "nats", "extraArgs"))
	n := len(args)
	s.Check(n >= len(extra) && reflect.DeepEqual(args[n-len(extra):], extra), "poller: args: nats.extraArgs come last, in order")
	s.Check(reflect.DeepEqual(mapAt(c, "resources"), mapOf(dig(vals, "nats", "resources"))), "poller: resources as in nats.resources")
	s.Check(reflect.DeepEqual(pod["nodeSelector"], dig(vals, "nats", "nodeSelector")) || (pod["nodeSelector"] == nil && !truthy(dig(vals, "nats", "nodeSelector"))),
		"poller: nodeSelector as in nats.nodeSelector")
}

func fileFromSecret(p string, mounts, vols map[string]map[string]interface{}) bool {
	for name, m := range mounts {
		mp := strings.TrimSuffix(str(m["mountPath"]), "/") + "/"
		if !strings.HasPrefix(p, mp) {
			continue
		}
		rel := strings.TrimPrefix(p, mp)
		sec := mapAt(vols[name], "secret")
		if len(sec) == 0 {
			continue
		}
		items := listAt(sec, "items")
		if len(items) == 0 {
			return true
		}
		for _, it := range items {
			if str(mapOf(it)["path"]) == rel {
				return true
			}
		}
	}
	return false
}

// byComponent: documents (Services, ServiceMonitors) by their
// app.kubernetes.io/component label: exporter (the DaemonSet's) or jetstream
// (the poller's).
func byComponent(docs []map[string]interface{}) map[string]map[string]interface{} {
	out := map[string]map[string]interface{}{}
	for _, d := range docs {
		out[str(dig(d, "metadata", "labels", "app.kubernetes.io/component"))] = d
	}
	return out
}

// partPods: the pod labels of each part.
func partPods(r *Result) map[string]map[string]interface{} {
	out := map[string]map[string]interface{}{}
	if ds := r.One("DaemonSet"); ds != nil {
		out["exporter"] = mapOf(dig(ds, "spec", "template", "metadata", "labels"))
	}
	if d := r.One("Deployment"); d != nil {
		out["jetstream"] = mapOf(dig(d, "spec", "template", "metadata", "labels"))
	}
	return out
}

// wantParts: the parts that get a Service and ServiceMonitor.
func wantParts(r *Result) []string {
	if str(dig(r.Values, "nats", "url")) != "" {
		return []string{"exporter", "jetstream"}
	}
	return []string{"exporter"}
}

func (s *Suite) checkService(r *Result) {
	svcs := r.ByKind("Service")
	if !truthy(dig(r.Values, "service", "enabled")) {
		s.Check(len(svcs) == 0, "no Service (service.enabled false)")
		return
	}
	parts := wantParts(r)
	byPart := byComponent(svcs)
	if !s.Check(len(svcs) == len(parts) && len(byPart) == len(parts), fmt.Sprintf("one Service per part %v", parts), "got %d", len(svcs)) {
		return
	}
	pods := partPods(r)
	want := int(num(dig(r.Values, "service", "port")))
	for _, part := range parts {
		svc := byPart[part]
		if !s.Check(svc != nil, "Service of the "+part+" part") {
			continue
		}
		spec := mapAt(svc, "spec")
		s.Check(str(spec["type"]) == str(dig(r.Values, "service", "type")), "Service "+part+": type as in values")
		ports := listAt(spec, "ports")
		s.Check(len(ports) == 1 && str(mapOf(ports[0])["name"]) == "metrics" && int(num(mapOf(ports[0])["port"])) == want &&
			str(mapOf(ports[0])["targetPort"]) == "metrics", fmt.Sprintf("Service %s: port %d named metrics targets the metrics port", part, want),
			"got %v", ports)
		sel := mapAt(spec, "selector")
		for other, labels := range pods {
			if other == part {
				s.Check(len(sel) > 0 && subset(sel, labels), "Service "+part+": selector matches its pods")
			} else {
				s.Check(!subset(sel, labels), "Service "+part+": selector does not match the "+other+" pods")
			}
		}
	}
}

func (s *Suite) checkServiceMonitor(r *Result) {
	sms := r.ByKind("ServiceMonitor")
	if !truthy(dig(r.Values, "serviceMonitor", "enabled")) {
		s.Check(len(sms) == 0, "no ServiceMonitor (serviceMonitor.enabled false)")
		return
	}
	parts := wantParts(r)
	byPart := byComponent(sms)
	if !s.Check(len(sms) == len(parts) && len(byPart) == len(parts), fmt.Sprintf("one ServiceMonitor per part %v", parts), "got %d", len(sms)) {
		return
	}
	svcs := byComponent(r.ByKind("Service"))
	for _, part := range parts {
		sm := byPart[part]
		if !s.Check(sm != nil, "ServiceMonitor of the "+part+" part") {
			continue
		}
		s.Check(str(sm["apiVersion"]) == "monitoring.coreos.com/v1", "ServiceMonitor "+part+": monitoring.coreos.com/v1")
		spec := mapAt(sm, "spec")
		eps := listAt(spec, "endpoints")
		if !s.Check(len(eps) == 1 && str(mapOf(eps[0])["port"]) == "metrics", "ServiceMonitor "+part+": scrapes the port named metrics") {
			continue
		}
		sel := mapOf(dig(spec, "selector", "matchLabels"))
		for other, svc := range svcs {
			labels := mapOf(dig(svc, "metadata", "labels"))
			if other == part {
				s.Check(len(sel) > 0 && subset(sel, labels), "ServiceMonitor "+part+": selector matches its Service's labels")
				ns := strs(dig(spec, "namespaceSelector", "matchNames"))
				s.Check(contains(ns, str(dig(svc, "metadata", "namespace"))), "ServiceMonitor "+part+": namespaceSelector names its Service's namespace")
			} else {
				s.Check(!subset(sel, labels), "ServiceMonitor "+part+": selector does not match the "+other+" Service")
			}
		}
		node := false
		for _, rl := range listAt(mapOf(eps[0]), "relabelings") {
			m := mapOf(rl)
			if str(m["targetLabel"]) == "node" && contains(strs(m["sourceLabels"]), "__meta_kubernetes_pod_node_name") {
				node = true
			}
		}
		if part == "exporter" {
			s.Check(node == truthy(dig(r.Values, "serviceMonitor", "nodeLabel")), "ServiceMonitor exporter: a node label exactly when serviceMonitor.nodeLabel")
		} else {
			s.Check(!node, "ServiceMonitor jetstream: no node label (the poller's node says nothing about the streams)")
		}
		if cluster := str(dig(r.Values, "serviceMonitor", "cluster")); cluster != "" {
			found := false
			for _, rl := range listAt(mapOf(eps[0]), "relabelings") {
				m := mapOf(rl)
				if str(m["targetLabel"]) == "cluster" && str(m["replacement"]) == cluster && m["sourceLabels"] == nil {
					found = true
				}
			}
			s.Check(found, "ServiceMonitor "+part+": sets the cluster label to serviceMonitor.cluster")
		}
	}
}

// expectedGroups computes what the PrometheusRule's groups must be, from the
// rules file the chart carries and the values (the oracle for the template).
func expectedGroups(r *Result) []interface{} {
	raw := r.Chart.Files["files/memacct.rules.yml"]
	parsed, err := ReadValues(raw)
	if err != nil {
		return nil
	}
	disabled := mapOf(dig(r.Values, "prometheusRule", "disabled"))
	extra := mapOf(dig(r.Values, "prometheusRule", "additionalRuleLabels"))
	base := strings.TrimSuffix(str(dig(r.Values, "prometheusRule", "runbookBaseURL")), "/")
	out := []interface{}{}
	for _, g := range listAt(parsed, "groups") {
		gm := mapOf(deepCopy(g))
		var rules []interface{}
		for _, rl := range listAt(gm, "rules") {
			rm := mapOf(rl)
			name := str(rm["alert"])
			if name == "" {
				name = str(rm["record"])
			}
			if truthy(disabled[name]) {
				continue
			}
			ann := mapOf(rm["annotations"])
			if url := str(ann["runbook_url"]); base != "" && strings.Contains(url, "#") {
				ann["runbook_url"] = base + url[strings.LastIndex(url, "#"):]
			}
			if _, isAlert := rm["alert"]; isAlert && len(extra) > 0 {
				l := mapOf(rm["labels"])
				nl := map[string]interface{}{}
				for k, v := range extra {
					nl[k] = v
				}
				for k, v := range l {
					nl[k] = v
				}
				rm["labels"] = nl
			}
			rules = append(rules, rm)
		}
		if len(rules) > 0 {
			gm["rules"] = rules
			out = append(out, gm)
		}
	}
	for _, g := range listAt(mapOf(r.Values["prometheusRule"]), "extraGroups") {
		out = append(out, g)
	}
	return out
}

func (s *Suite) checkPrometheusRule(r *Result) {
	pr := r.One("PrometheusRule")
	if !truthy(dig(r.Values, "prometheusRule", "enabled")) {
		s.Check(pr == nil, "no PrometheusRule (prometheusRule.enabled false)")
		return
	}
	if !s.Check(pr != nil, "exactly one PrometheusRule") {
		return
	}
	s.Check(str(pr["apiVersion"]) == "monitoring.coreos.com/v1", "PrometheusRule: monitoring.coreos.com/v1")
	got := listAt(mapAt(pr, "spec"), "groups")
	want := expectedGroups(r)
	gj, _ := json.Marshal(got)
	wj, _ := json.Marshal(want)
	s.Check(string(gj) == string(wj), fmt.Sprintf("PrometheusRule: groups are files/memacct.rules.yml's (%d groups), less prometheusRule.disabled, plus additionalRuleLabels and extraGroups", len(want)),
		"got %s\nwant %s", gj, wj)
	for _, g := range got {
		gm := mapOf(g)
		s.Check(str(gm["name"]) != "" && len(listAt(gm, "rules")) > 0, "PrometheusRule: group "+str(gm["name"])+" has a name and rules")
		for _, rl := range listAt(gm, "rules") {
			rm := mapOf(rl)
			s.Check((str(rm["alert"]) != "") != (str(rm["record"]) != "") && str(rm["expr"]) != "",
				"PrometheusRule: rule "+str(rm["alert"])+str(rm["record"])+" is an alert or a record, with an expr")
			if url, name := str(dig(rm, "annotations", "runbook_url")), str(rm["alert"]); name != "" && url != "" {
				base := strings.TrimSuffix(str(dig(r.Values, "prometheusRule", "runbookBaseURL")), "/")
				s.Check(url == base+"#runbook-"+strings.ToLower(name),
					"PrometheusRule: "+name+"'s runbook_url is prometheusRule.runbookBaseURL#runbook-<alert>",
					"got %q, base %q", url, base)
			}
		}
	}
}

func (s *Suite) checkDashboards(r *Result) {
	cms := r.ByKind("ConfigMap")
	if !truthy(dig(r.Values, "dashboards", "enabled")) {
		s.Check(len(cms) == 0, "no dashboard ConfigMaps (dashboards.enabled false)")
		return
	}
	files := r.Chart.Files.Glob("files/dashboards/*.json")
	s.Check(len(cms) == len(files), fmt.Sprintf("one dashboard ConfigMap per files/dashboards/*.json (%d)", len(files)),
		"got %d", len(cms))
	label := str(dig(r.Values, "dashboards", "label"))
	value := str(dig(r.Values, "dashboards", "labelValue"))
	for p, content := range files {
		base := filepath.Base(p)
		var cm map[string]interface{}
		for _, c := range cms {
			if _, ok := mapAt(c, "data")[base]; ok {
				cm = c
			}
		}
		if !s.Check(cm != nil, "dashboard "+base+": has a ConfigMap") {
			continue
		}
		s.Check(str(dig(cm, "metadata", "labels", label)) == value, fmt.Sprintf("dashboard %s: labelled %s=%q for the Grafana sidecar", base, label, value))
		s.Check(str(mapAt(cm, "data")[base]) == string(content), "dashboard "+base+": data is the file, byte for byte")
		var v interface{}
		s.Check(json.Unmarshal([]byte(str(mapAt(cm, "data")[base])), &v) == nil, "dashboard "+base+": data is valid JSON")
		s.Check(len(mapAt(cm, "data")) == 1, "dashboard "+base+": one dashboard per ConfigMap (1 MiB ConfigMap limit)")
	}
}

// ---- little helpers --------------------------------------------------------

func mapOf(v interface{}) map[string]interface{} {
	m, _ := v.(map[string]interface{})
	if m == nil {
		return map[string]interface{}{}
	}
	return m
}

func mapAt(m map[string]interface{}, k string) map[string]interface{} { return mapOf(m[k]) }

func listAt(m map[string]interface{}, k string) []interface{} {
	l, _ := m[k].([]interface{})
	return l
}

func dig(v interface{}, keys ...string) interface{} {
	for _, k := range keys {
		m, ok := v.(map[string]interface{})
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func str(v interface{}) string {
	if v == nil {
		return ""
	}
	if s, ok := v.(string); ok {
		return s
	}
	return fmt.Sprint(v)
}

func num(v interface{}) float64 {
	f, _ := v.(float64)
	return f
}

func truthy(v interface{}) bool {
	switch t := v.(type) {
	case nil:
		return false
	case bool:
		return t
	case string:
		return t != ""
	case float64:
		return t != 0
	case map[string]interface{}:
		return len(t) > 0
	case []interface{}:
		return len(t) > 0
	}
	return true
}

func strs(v interface{}) []string {
	l, _ := v.([]interface{})
	out := []string{}
	for _, x := range l {
		out = append(out, str(x))
	}
	return out
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

func hasPrefix(l []string, p string) bool {
	for _, x := range l {
		if strings.HasPrefix(x, p) {
			return true
		}
	}
	return false
}

func subset(a, b map[string]interface{}) bool {
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
