// chart-render: renders chart/quay-gateway the way Helm's engine does (Go text/template with the sprig functions,
// plus include, toYaml and required; values merged like Helm's -f), then checks that every rendered manifest is
// YAML with apiVersion, kind and metadata.name. CI has no Helm binary; this catches template errors the C# tests
// cannot (a wrong function, a bad pipeline, broken indentation).
//
//	go run main.go CHART_DIR [VALUES_FILE...]      (GOPATH mode, with Debian's sprig and yaml.v3 packages)
package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig"
	"gopkg.in/yaml.v3"
)

func merge(dst, src map[string]interface{}) map[string]interface{} {
	for k, v := range src {
		if v == nil {
			delete(dst, k)
			continue
		}
		if sm, ok := v.(map[string]interface{}); ok {
			if dm, ok := dst[k].(map[string]interface{}); ok {
				dst[k] = merge(dm, sm)
				continue
			}
		}
		dst[k] = v
	}
	return dst
}

func load(path string) map[string]interface{} {
	b, err := os.ReadFile(path)
	if err != nil {
		panic(err)
	}
	m := map[string]interface{}{}
	if err := yaml.Unmarshal(b, &m); err != nil {
		panic(err)
	}
	return m
}

func main() {
	chart := os.Args[1]
	values := load(filepath.Join(chart, "values.yaml"))
	for _, f := range os.Args[2:] {
		values = merge(values, load(f))
	}
	chartMeta := load(filepath.Join(chart, "Chart.yaml"))
	data := map[string]interface{}{
		"Values":  values,
		"Release": map[string]interface{}{"Name": "quay-gateway", "Namespace": "quay-gateway", "Service": "Helm"},
		"Chart":   map[string]interface{}{"Name": chartMeta["name"], "Version": chartMeta["version"], "AppVersion": chartMeta["appVersion"]},
	}
	t := template.New("chart")
	funcs := sprig.TxtFuncMap()
	funcs["include"] = func(name string, d interface{}) (string, error) {
		var buf bytes.Buffer
		err := t.ExecuteTemplate(&buf, name, d)
		return buf.String(), err
	}
	funcs["toYaml"] = func(v interface{}) string {
		b, _ := yaml.Marshal(v)
		return strings.TrimSuffix(string(b), "\n")
	}
	funcs["required"] = func(msg string, v interface{}) (interface{}, error) {
		if v == nil || v == "" {
			return nil, fmt.Errorf(msg)
		}
		return v, nil
	}
	t.Funcs(funcs).Option("missingkey=zero")
	files, _ := filepath.Glob(filepath.Join(chart, "templates", "*"))
	sort.Strings(files)
	for _, f := range files {
		b, _ := os.ReadFile(f)
		template.Must(t.New(filepath.Base(f)).Parse(string(b)))
	}
	failed := false
	for _, f := range files {
		name := filepath.Base(f)
		if strings.HasPrefix(name, "_") {
			continue
		}
		var buf bytes.Buffer
		if err := t.ExecuteTemplate(&buf, name, data); err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
			failed = true
			continue
		}
		out := buf.String()
		if strings.HasSuffix(name, ".yaml") {
			dec := yaml.NewDecoder(strings.NewReader(out))
			for {
				var doc map[string]interface{}
				if err := dec.Decode(&doc); err != nil {
					if err.Error() != "EOF" {
						fmt.Fprintf(os.Stderr, "%s: invalid YAML: %v\n", name, err)
						failed = true
					}
					break
				}
				if doc == nil {
					continue
				}
				meta, _ := doc["metadata"].(map[string]interface{})
				if doc["apiVersion"] == nil || doc["kind"] == nil || meta == nil || meta["name"] == nil {
					fmt.Fprintf(os.Stderr, "%s: a document without apiVersion, kind or metadata.name\n", name)
					failed = true
				}
			}
		}
		if strings.TrimSpace(out) != "" {
			fmt.Printf("---\n# Source: %s\n%s\n", name, out)
		}
	}
	if failed {
		os.Exit(1)
	}
}
