// A Helm 3 template engine stand-in: Go's text/template with the sprig
// function library and the functions and objects Helm adds (include, tpl,
// required, toYaml/fromYaml/toJson/fromJson, lookup, .Files, .Release,
// .Chart, .Capabilities, .Template). It follows Helm's engine
// (pkg/engine/engine.go, pkg/engine/funcs.go, pkg/chartutil) where the chart
// can tell the difference:
//   - values are read the way Helm reads them (YAML 1.1, then through JSON,
//     so numbers are float64) and user values are coalesced over the chart's
//     (maps merge, a null deletes the key);
//   - every file under templates/ is parsed into one template set; files
//     whose name starts with "_" are only definitions; NOTES.txt is rendered
//     apart;
//   - "<no value>" is removed from the output (missingkey=zero), or, in strict
//     mode (helm lint --strict), a missing key is an error (missingkey=error);
//   - toYaml marshals through JSON into YAML with sorted keys, as
//     sigs.k8s.io/yaml does; fromYaml returns {"Error": ...} on bad input.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig"
	yaml2 "gopkg.in/yaml.v2"
)

// Files is Helm's .Files: the chart's files outside templates/.
type Files map[string][]byte

func (f Files) Get(name string) string { return string(f[name]) }

func (f Files) GetBytes(name string) []byte { return f[name] }

func (f Files) Glob(pattern string) Files {
	out := Files{}
	for name, data := range f {
		if ok, _ := path.Match(pattern, name); ok {
			out[name] = data
		}
	}
	return out
}

func (f Files) Lines(name string) []string {
	s := string(f[name])
	if s == "" {
		return []string{}
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

func (f Files) AsConfig() string {
	m := map[string]string{}
	for name, data := range f {
		m[path.Base(name)] = string(data)
	}
	return toYAML(m)
}

// Chart is the subset of Helm's chart.Metadata templates see as .Chart.
type Chart struct {
	Name        string
	Version     string
	AppVersion  string
	Description string
	Type        string
	KubeVersion string
	APIVersion  string
	Home        string
	Keywords    []string
	Annotations map[string]string
}

type Release struct {
	Name      string
	Namespace string
	Service   string
	IsInstall bool
	IsUpgrade bool
	Revision  int
}

type KubeVersion struct {
	Version    string
	Major      string
	Minor      string
	GitVersion string
}

func (k KubeVersion) String() string { return k.Version }

type VersionSet []string

func (v VersionSet) Has(apiVersion string) bool {
	for _, x := range v {
		if x == apiVersion {
			return true
		}
	}
	return false
}

type Capabilities struct {
	KubeVersion KubeVersion
	APIVersions VersionSet
	HelmVersion map[string]string
}

type TemplateInfo struct {
	Name     string
	BasePath string
}

// Chart on disk, loaded.
type LoadedChart struct {
	Dir       string
	Meta      Chart
	Values    map[string]interface{}
	Templates map[string]string // "templates/x.yaml" -> text
	Files     Files             // everything else, minus .helmignore'd
}

// LoadChart reads a chart directory. overlay, if not "", is a directory whose
// files replace or add chart files (used to feed test data to .Files).
func LoadChart(dir, overlay string) (*LoadedChart, error) {
	c := &LoadedChart{Dir: dir, Templates: map[string]string{}, Files: Files{}}
	raw, err := os.ReadFile(filepath.Join(dir, "Chart.yaml"))
	if err != nil {
		return nil, err
	}
	var meta map[string]interface{}
	if err := yaml2.Unmarshal(raw, &meta); err != nil {
		return nil, fmt.Errorf("Chart.yaml: %v", err)
	}
	str := func(k string) string {
		if v, ok := meta[k]; ok && v != nil {
			return fmt.Sprint(v)
		}
		return ""
	}
	c.Meta = Chart{Name: str("name"), Version: str("version"), AppVersion: str("appVersion"),
		Description: str("description"), Type: str("type"), KubeVersion: str("kubeVersion"),
		APIVersion: str("apiVersion"), Home: str("home")}
	if kw, ok := meta["keywords"].([]interface{}); ok {
		for _, k := range kw {
			c.Meta.Keywords = append(c.Meta.Keywords, fmt.Sprint(k))
		}
	}
	if an, ok := meta["annotations"].(map[interface{}]interface{}); ok {
		c.Meta.Annotations = map[string]string{}
		for k, v := range an {
			c.Meta.Annotations[fmt.Sprint(k)] = fmt.Sprint(v)
		}
	}
	vraw, err := os.ReadFile(filepath.Join(dir, "values.yaml"))
	if err != nil {
		return nil, err
	}
	if c.Values, err = ReadValues(vraw); err != nil {
		return nil, fmt.Errorf("values.yaml: %v", err)
	}
	ignore := readHelmignore(filepath.Join(dir, ".helmignore"))
	err = filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if rel == "." {
			return nil
		}
		if ignored(ignore, rel, info.IsDir()) {
			if info.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if info.IsDir() {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		switch {
		case strings.HasPrefix(rel, "templates/"):
			c.Templates[rel] = string(data)
		case rel == "Chart.yaml" || rel == "values.yaml" || rel == "values.schema.json":
		default:
			c.Files[rel] = data
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if overlay != "" {
		err = filepath.Walk(overlay, func(p string, info os.FileInfo, err error) error {
			if err != nil || info.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(overlay, p)
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			c.Files[filepath.ToSlash(rel)] = data
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return c, nil
}

func readHelmignore(p string) []string {
	data, err := os.ReadFile(p)
	if err != nil {
		return nil
	}
	var pats []string
	for _, l := range strings.Split(string(data), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		pats = append(pats, l)
	}
	return pats
}

// ignored implements the subset of .helmignore the chart uses: "name/" for
// directories, shell globs on the base name or on the relative path.
func ignored(pats []string, rel string, isDir bool) bool {
	base := path.Base(rel)
	for _, p := range pats {
		if strings.HasSuffix(p, "/") {
			if isDir {
				if ok, _ := path.Match(strings.TrimSuffix(p, "/"), base); ok {
					return true
				}
			}
			continue
		}
		if ok, _ := path.Match(p, base); ok {
			return true
		}
		if ok, _ := path.Match(p, rel); ok {
			return true
		}
	}
	return false
}

// ReadValues parses YAML the way Helm does (sigs.k8s.io/yaml: YAML 1.1
// through JSON): maps with string keys, numbers as float64.
func ReadValues(data []byte) (map[string]interface{}, error) {
	var v interface{}
	if err := yaml2.Unmarshal(data, &v); err != nil {
		return nil, err
	}
	v, err := jsonRoundTrip(stringKeys(v))
	if err != nil {
		return nil, err
	}
	if v == nil {
		return map[string]interface{}{}, nil
	}
	m, ok := v.(map[string]interface{})
	if !ok {
		return nil, fmt.Errorf("top level is not a mapping")
	}
	return m, nil
}

func stringKeys(v interface{}) interface{} {
	switch t := v.(type) {
	case map[interface{}]interface{}:
		m := make(map[string]interface{}, len(t))
		for k, x := range t {
			m[fmt.Sprint(k)] = stringKeys(x)
		}
		return m
	case map[string]interface{}:
		m := make(map[string]interface{}, len(t))
		for k, x := range t {
			m[k] = stringKeys(x)
		}
		return m
	case []interface{}:
		out := make([]interface{}, len(t))
		for i, x := range t {
			out[i] = stringKeys(x)
		}
		return out
	}
	return v
}

func jsonRoundTrip(v interface{}) (interface{}, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out interface{}
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// Coalesce merges user values src over defaults dst (Helm's CoalesceValues):
// nested maps merge, a null in src deletes the key, anything else replaces.
func Coalesce(dst, src map[string]interface{}) map[string]interface{} {
	out := make(map[string]interface{}, len(dst))
	for k, v := range dst {
		out[k] = deepCopy(v)
	}
	for k, v := range src {
		if v == nil {
			delete(out, k)
			continue
		}
		sm, sok := v.(map[string]interface{})
		dm, dok := out[k].(map[string]interface{})
		if sok && dok {
			out[k] = Coalesce(dm, sm)
		} else {
			out[k] = deepCopy(v)
		}
	}
	return out
}

func deepCopy(v interface{}) interface{} {
	switch t := v.(type) {
	case map[string]interface{}:
		m := make(map[string]interface{}, len(t))
		for k, x := range t {
			m[k] = deepCopy(x)
		}
		return m
	case []interface{}:
		out := make([]interface{}, len(t))
		for i, x := range t {
			out[i] = deepCopy(x)
		}
		return out
	}
	return v
}

// toYAML is Helm's toYaml: JSON first, then YAML (sigs.k8s.io/yaml), trailing
// newline trimmed.
func toYAML(v interface{}) string {
	j, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	var obj interface{}
	if err := yaml2.Unmarshal(j, &obj); err != nil {
		return ""
	}
	out, err := yaml2.Marshal(obj)
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(string(out), "\n")
}

func fromYAML(s string) map[string]interface{} {
	m, err := ReadValues([]byte(s))
	if err != nil {
		return map[string]interface{}{"Error": err.Error()}
	}
	return m
}

func fromYAMLArray(s string) []interface{} {
	var v interface{}
	if err := yaml2.Unmarshal([]byte(s), &v); err != nil {
		return []interface{}{err.Error()}
	}
	v, err := jsonRoundTrip(stringKeys(v))
	if err != nil {
		return []interface{}{err.Error()}
	}
	a, _ := v.([]interface{})
	return a
}

func toJSON(v interface{}) string {
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}

func fromJSON(s string) map[string]interface{} {
	m := map[string]interface{}{}
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		m["Error"] = err.Error()
	}
	return m
}

func fromJSONArray(s string) []interface{} {
	a := []interface{}{}
	if err := json.Unmarshal([]byte(s), &a); err != nil {
		a = []interface{}{err.Error()}
	}
	return a
}

// RenderOptions are the helm template flags the tests use.
type RenderOptions struct {
	ReleaseName string
	Namespace   string
	Strict      bool
	KubeVersion string
	APIVersions []string
}

// Rendered is one rendering of a chart.
type Rendered struct {
	Values    map[string]interface{}
	Manifests map[string]string // template file -> output
	Notes     string
}

const recursionMax = 1000

func funcMap() template.FuncMap {
	f := sprig.TxtFuncMap()
	// Helm removes these two (no access to the renderer's environment).
	delete(f, "env")
	delete(f, "expandenv")
	extra := template.FuncMap{
		"toYaml":        toYAML,
		"mustToYaml":    toYAML,
		"fromYaml":      fromYAML,
		"fromYamlArray": fromYAMLArray,
		"toJson":        toJSON,
		"mustToJson":    toJSON,
		"fromJson":      fromJSON,
		"fromJsonArray": fromJSONArray,
		"required": func(msg string, v interface{}) (interface{}, error) {
			if v == nil {
				return v, fmt.Errorf(msg)
			}
			if s, ok := v.(string); ok && s == "" {
				return v, fmt.Errorf(msg)
			}
			return v, nil
		},
		// No cluster here: lookup finds nothing, as under helm template.
		"lookup": func(apiVersion, kind, namespace, name string) (map[string]interface{}, error) {
			return map[string]interface{}{}, nil
		},
		// Placeholders, replaced once the template set exists.
		"include": func(string, interface{}) string { return "not implemented" },
		"tpl":     func(string, interface{}) interface{} { return "not implemented" },
	}
	for k, v := range extra {
		f[k] = v
	}
	return f
}

// Render renders every template of c with the coalesced values.
func Render(c *LoadedChart, userValues []map[string]interface{}, o RenderOptions) (*Rendered, error) {
	vals := c.Values
	for _, u := range userValues {
		vals = Coalesce(vals, u)
	}
	kv := o.KubeVersion
	if kv == "" {
		kv = "v1.30.0"
	}
	parts := strings.SplitN(strings.TrimPrefix(kv, "v"), ".", 3)
	caps := Capabilities{
		KubeVersion: KubeVersion{Version: kv, GitVersion: kv, Major: parts[0], Minor: parts[1]},
		APIVersions: append(VersionSet{"v1", "apps/v1", "policy/v1", "rbac.authorization.k8s.io/v1"}, o.APIVersions...),
		HelmVersion: map[string]string{"version": "v3.15.0"},
	}
	top := map[string]interface{}{
		"Values":       vals,
		"Chart":        c.Meta,
		"Release":      Release{Name: o.ReleaseName, Namespace: o.Namespace, Service: "Helm", IsInstall: true, Revision: 1},
		"Capabilities": caps,
		"Files":        c.Files,
	}

	t := template.New("gotpl")
	if o.Strict {
		t.Option("missingkey=error")
	} else {
		t.Option("missingkey=zero")
	}
	t.Funcs(funcMap())
	names := make([]string, 0, len(c.Templates))
	for n := range c.Templates {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		full := c.Meta.Name + "/" + n
		if _, err := t.New(full).Parse(c.Templates[n]); err != nil {
			return nil, fmt.Errorf("parse %s: %v", n, err)
		}
	}
	included := map[string]int{}
	var include func(string, interface{}) (string, error)
	include = func(name string, data interface{}) (string, error) {
		if included[name] > recursionMax {
			return "", fmt.Errorf("rendering template has a nested reference name: %s", name)
		}
		included[name]++
		defer func() { included[name]-- }()
		var buf strings.Builder
		err := t.ExecuteTemplate(&buf, name, data)
		return buf.String(), err
	}
	tpl := func(text string, data interface{}) (string, error) {
		clone, err := t.Clone()
		if err != nil {
			return "", err
		}
		nt, err := clone.New(fmt.Sprintf("tpl-%d", len(text))).Parse(text)
		if err != nil {
			return "", fmt.Errorf("cannot parse template %q: %v", text, err)
		}
		var buf strings.Builder
		if err := nt.Execute(&buf, data); err != nil {
			return "", fmt.Errorf("error during tpl function execution for %q: %v", text, err)
		}
		return strings.ReplaceAll(buf.String(), "<no value>", ""), nil
	}
	t.Funcs(template.FuncMap{"include": include, "tpl": tpl})

	r := &Rendered{Values: vals, Manifests: map[string]string{}}
	for _, n := range names {
		base := path.Base(n)
		if strings.HasPrefix(base, "_") {
			continue
		}
		full := c.Meta.Name + "/" + n
		data := map[string]interface{}{}
		for k, v := range top {
			data[k] = v
		}
		data["Template"] = TemplateInfo{Name: full, BasePath: c.Meta.Name + "/templates"}
		var buf bytes.Buffer
		if err := t.ExecuteTemplate(&buf, full, data); err != nil {
			return nil, fmt.Errorf("render %s: %v", n, err)
		}
		out := strings.ReplaceAll(buf.String(), "<no value>", "")
		if base == "NOTES.txt" {
			r.Notes = out
			continue
		}
		r.Manifests[n] = out
	}
	return r, nil
}

var sepRE = regexp.MustCompile(`(?:^|\s*\n)---\s*`)

// Documents splits the rendered manifests into YAML documents (Helm's
// releaseutil.SplitManifests), dropping empty ones, in template file order.
func (r *Rendered) Documents() []Doc {
	names := make([]string, 0, len(r.Manifests))
	for n := range r.Manifests {
		names = append(names, n)
	}
	sort.Strings(names)
	var docs []Doc
	for _, n := range names {
		for _, d := range sepRE.Split(r.Manifests[n], -1) {
			if strings.TrimSpace(d) == "" {
				continue
			}
			docs = append(docs, Doc{Source: n, Text: strings.TrimSpace(d) + "\n"})
		}
	}
	return docs
}

// Doc is one rendered YAML document.
type Doc struct {
	Source string
	Text   string
	Obj    map[string]interface{}
}
