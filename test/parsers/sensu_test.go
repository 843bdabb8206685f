package parsers

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ghodss/yaml"
	corev2 "github.com/sensu/core/v2"
	"github.com/sensu/sensu-go/types"
)

// sensuDocuments splits a file into resources the way `sensuctl create -f`
// does (sensu-go cli/resource/parse.go, splitResources): a line that is
// exactly "---" ends a document, text before the first one is a document
// of its own, and only a non-empty last document counts. sensuctl's
// package is not importable (the sensu-go main module is not published as
// a module version), so this rule is restated here; everything after the
// split is Sensu's own code.
func sensuDocuments(data []byte) ([]string, error) {
	var docs []string
	var cur strings.Builder
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if sc.Text() == "---" {
			docs = append(docs, cur.String())
			cur.Reset()
			continue
		}
		cur.WriteString(sc.Text())
		cur.WriteString("\n")
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading resources: %w", err)
	}
	if cur.Len() > 0 {
		docs = append(docs, cur.String())
	}
	return docs, nil
}

// loadSensu turns a file into Sensu resources as sensuctl does before it
// sends them: YAML to JSON (ghodss/yaml, sensuctl's converter), a strict
// JSON decode into types.Wrapper, which resolves api_version and type
// through Sensu's resource registry, the CLI's namespace, then each
// resource's own Validate, which the backend runs on create.
func loadSensu(data []byte, namespace string) ([]*types.Wrapper, error) {
	docs, err := sensuDocuments(data)
	if err != nil {
		return nil, err
	}
	var out []*types.Wrapper
	for i, doc := range docs {
		js, err := yaml.YAMLToJSON([]byte(doc))
		if err != nil {
			return nil, fmt.Errorf("resource %d: %w", i, err)
		}
		dec := json.NewDecoder(bytes.NewReader(js))
		dec.DisallowUnknownFields()
		for dec.More() {
			var w types.Wrapper
			if err := dec.Decode(&w); err != nil {
				return nil, fmt.Errorf("resource %d: %w", i, err)
			}
			res, ok := w.Value.(corev2.Resource)
			if !ok {
				return nil, fmt.Errorf("resource %d: %T is not a core/v2 resource", i, w.Value)
			}
			if res.GetObjectMeta().Namespace == "" {
				res.SetNamespace(namespace)
			}
			if err := res.Validate(); err != nil {
				return nil, fmt.Errorf("resource %d (%s %q): %w", i, w.Type, w.ObjectMeta.Name, err)
			}
			out = append(out, &w)
		}
	}
	return out, nil
}

// TestSensuContribLoads loads every document of every contrib/sensu file
// as sensuctl would and checks that each is a check that runs the packaged
// plugin and hands its performance data to Sensu's nagios_perfdata
// extractor.
func TestSensuContribLoads(t *testing.T) {
	files, err := filepath.Glob("../../contrib/sensu/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no contrib/sensu/*.yaml found (%v)", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			docs, err := sensuDocuments(data)
			if err != nil {
				t.Fatal(err)
			}
			res, err := loadSensu(data, "default")
			if err != nil {
				t.Fatalf("sensuctl create -f %s would fail: %v", f, err)
			}
			if len(res) != len(docs) {
				t.Fatalf("%d documents gave %d resources", len(docs), len(res))
			}
			for _, w := range res {
				check, ok := w.Value.(*corev2.CheckConfig)
				if !ok {
					t.Errorf("%s %q: want a CheckConfig, got %T", w.Type, w.ObjectMeta.Name, w.Value)
					continue
				}
				if !strings.HasPrefix(check.Command, "/usr/lib/nagios/plugins/check_arp ") &&
					!strings.HasPrefix(check.Command, "/usr/lib64/nagios/plugins/check_arp ") {
					t.Errorf("check %q runs %q, not the packaged plugin", check.Name, check.Command)
				}
				if check.OutputMetricFormat != corev2.NagiosOutputMetricFormat {
					t.Errorf("check %q: output_metric_format %q, want %q", check.Name, check.OutputMetricFormat, corev2.NagiosOutputMetricFormat)
				}
				if len(check.RuntimeAssets) != 0 {
					t.Errorf("check %q uses runtime assets %v: an asset loses the binary's capability", check.Name, check.RuntimeAssets)
				}
			}
		})
	}
}

// TestSensuCommentOnlyFirstDocumentFails shows that the loader above is
// Sensu's: a comment block followed by "---" is an empty first resource,
// which Sensu rejects (and with it the whole file).
func TestSensuCommentOnlyFirstDocumentFails(t *testing.T) {
	data := []byte("# a comment block\n---\ntype: CheckConfig\napi_version: core/v2\nmetadata:\n  name: x\nspec:\n  command: /bin/true\n  interval: 60\n  subscriptions: [a]\n")
	_, err := loadSensu(data, "default")
	if err == nil || !strings.Contains(err.Error(), "resource 0") {
		t.Fatalf("want Sensu to reject the comment-only resource 0, got %v", err)
	}
	t.Logf("Sensu: %v", err)
}
