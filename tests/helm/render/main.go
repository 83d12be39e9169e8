// helmcheck renders the memacct-exporter Helm chart without helm (see
// engine.go) and checks what comes out.
//
//	helmcheck template [-chart DIR] [-f values.yaml]... [-strict] [-json] [-name R] [-namespace NS]
//	    print the manifests, like `helm template`; -json: as one JSON array of
//	    the documents (for scripts, e.g. tests/integration/helm_podman.sh)
//	helmcheck test -src REPO [-out DIR]
//	    run every scenario and check; writes DIR/rendered.json (every rendered
//	    document, for the schema validation in tests/helm/schema) and the
//	    rendered YAML of each scenario; prints one line per check and a
//	    closing "N passed, N failed" line; exit 1 on any failure.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	switch os.Args[1] {
	case "template":
		os.Exit(cmdTemplate(os.Args[2:]))
	case "test":
		os.Exit(cmdTest(os.Args[2:]))
	default:
		usage()
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: helmcheck template [-chart DIR] [-f values.yaml]... [-strict] [-json] [-name R] [-namespace NS]")
	fmt.Fprintln(os.Stderr, "       helmcheck test -src REPO [-out DIR]")
	os.Exit(2)
}

func cmdTemplate(args []string) int {
	fs := flag.NewFlagSet("template", flag.ExitOnError)
	chart := fs.String("chart", "helm/memacct-exporter", "chart directory")
	name := fs.String("name", "memacct", "release name")
	ns := fs.String("namespace", "monitoring", "release namespace")
	strict := fs.Bool("strict", false, "fail on a reference to a missing value")
	notes := fs.Bool("notes", false, "also print NOTES.txt")
	asJSON := fs.Bool("json", false, "print the documents as one JSON array")
	var files multiFlag
	fs.Var(&files, "f", "values file (repeatable)")
	fs.Parse(args)
	c, err := LoadChart(*chart, "")
	if err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		return 1
	}
	var user []map[string]interface{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			fmt.Fprintln(os.Stderr, "Error:", err)
			return 1
		}
		v, err := ReadValues(data)
		if err != nil {
			fmt.Fprintf(os.Stderr, "Error: %s: %v\n", f, err)
			return 1
		}
		user = append(user, v)
	}
	r, err := Render(c, user, RenderOptions{ReleaseName: *name, Namespace: *ns, Strict: *strict})
	if err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		return 1
	}
	if *asJSON {
		docs := []interface{}{}
		for _, d := range r.Documents() {
			v, err := ReadValues([]byte(d.Text))
			if err != nil {
				fmt.Fprintf(os.Stderr, "Error: %s: %v\n", d.Source, err)
				return 1
			}
			docs = append(docs, v)
		}
		j, _ := json.MarshalIndent(docs, "", " ")
		fmt.Println(string(j))
		return 0
	}
	for _, d := range r.Documents() {
		fmt.Printf("---\n# Source: %s/%s\n%s", c.Meta.Name, d.Source, d.Text)
	}
	if *notes {
		fmt.Printf("\nNOTES:\n%s\n", r.Notes)
	}
	return 0
}

func cmdTest(args []string) int {
	fs := flag.NewFlagSet("test", flag.ExitOnError)
	src := fs.String("src", ".", "repository root")
	out := fs.String("out", "", "directory for rendered.json and the rendered YAML")
	verbose := fs.Bool("v", false, "print every check, not only failures")
	fs.Parse(args)
	root, _ := filepath.Abs(*src)
	t := &T{Verbose: *verbose}
	suite := &Suite{T: t, Root: root, Chart: filepath.Join(root, "helm", "memacct-exporter"),
		TestDir: filepath.Join(root, "tests", "helm")}
	suite.Run()
	t.Scope("")
	if *out != "" {
		if err := os.MkdirAll(*out, 0o755); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		j, _ := json.MarshalIndent(suite.Out, "", " ")
		if err := os.WriteFile(filepath.Join(*out, "rendered.json"), j, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		slug := regexp.MustCompile(`[^A-Za-z0-9]+`)
		for name, y := range suite.YAML {
			f := strings.Trim(slug.ReplaceAllString(strings.TrimSuffix(name, ".yaml"), "-"), "-")
			os.WriteFile(filepath.Join(*out, f+".yaml"), []byte(y), 0o644)
		}
	}
	fmt.Printf("helm chart checks: %d passed, %d failed\n", t.Passed, t.Failed)
	if t.Failed > 0 {
		return 1
	}
	return 0
}

// T counts checks.
type T struct {
	Passed, Failed int
	Verbose        bool
	scope          string
	scopePassed    int
}

// Scope starts a group of checks; without -v, a group prints one line.
func (t *T) Scope(name string) {
	if t.scope != "" && !t.Verbose {
		fmt.Printf("ok   %s: %d checks passed\n", t.scope, t.scopePassed)
	}
	t.scope, t.scopePassed = name, 0
}

func (t *T) Check(ok bool, what string, why ...interface{}) bool {
	name := what
	if t.scope != "" {
		name = t.scope + ": " + what
	}
	if ok {
		t.Passed++
		t.scopePassed++
		if t.Verbose {
			fmt.Printf("ok   %s\n", name)
		}
	} else {
		t.Failed++
		msg := ""
		if len(why) > 0 {
			if f, isStr := why[0].(string); isStr {
				msg = ": " + fmt.Sprintf(f, why[1:]...)
			} else {
				msg = ": " + fmt.Sprint(why...)
			}
		}
		fmt.Printf("FAIL %s%s\n", name, msg)
	}
	return ok
}
