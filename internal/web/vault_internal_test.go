package web

import (
	"reflect"
	"strings"
	"testing"

	"atrium/internal/vault"
)

func TestEditorErrorOf(t *testing.T) {
	data := "a {\n\tb = \"x\n}\n"
	e := editorErrorOf("Invalid HOCON at line 2, column 6: unterminated string", data)
	if e.Line != 2 || e.Column != 6 || e.Number != "2" {
		t.Fatalf("place = line %d column %d, want 2 and 6", e.Line, e.Column)
	}
	if e.Text != " b = \"x" || e.Caret != "     ^" {
		t.Errorf("excerpt = %q / %q, want the line with its tab as a space and a caret "+
			"under the quote", e.Text, e.Caret)
	}
	if e := editorErrorOf("Invalid YAML: nope", data); e.Line != 0 || e.Message == "" {
		t.Errorf("a message without a place = %+v", e)
	}
	if e := editorErrorOf("Invalid JSON at line 9, column 1: x", data); e.Line != 0 {
		t.Errorf("a line past the end is placed at %d", e.Line)
	}
	if editorErrorOf("", data) != nil {
		t.Error("no message gives an error")
	}
	long := strings.Repeat("x", 300)
	e = editorErrorOf("Invalid HOCON at line 1, column 250: here", long)
	if len(e.Text) != excerptWidth || len(e.Caret) != excerptWidth/2+1 {
		t.Errorf("long line excerpt %d chars, caret at %d", len(e.Text), len(e.Caret))
	}
}

func TestDownloadName(t *testing.T) {
	cases := []struct {
		v    vault.Vault
		want string
	}{
		{vault.Vault{Description: "Team S3 keys", Format: vault.FormatYAML}, "Team-S3-keys.yaml"},
		{vault.Vault{Description: "../../etc/passwd", Format: vault.FormatJSON},
			"etc-passwd.json"},
		{vault.Vault{ID: "abc", Description: "   ", Format: vault.FormatHOCON}, "vault-abc.conf"},
		{vault.Vault{ID: "abc", Description: "日本語", Format: vault.FormatHOCON},
			"vault-abc.conf"},
	}
	for _, tc := range cases {
		if got := downloadName(tc.v); got != tc.want {
			t.Errorf("downloadName(%q) = %q, want %q", tc.v.Description, got, tc.want)
		}
	}
}

func TestSummarizeShowsKeyPathsOnly(t *testing.T) {
	got := summarize(vault.FormatYAML, "sdk:\n  aws:\n    s3:\n      key: AKIA\n      "+
		"secret: hush\n      region: x\nagent:\n  a: 1\n")
	if len(got.Keys) != summaryKeys || got.More != 1 {
		t.Fatalf("summary = %+v, want %d keys and 1 more", got, summaryKeys)
	}
	for _, k := range got.Keys {
		if s := strings.Join(k, "."); strings.Contains(s, "AKIA") || strings.Contains(s, "hush") {
			t.Errorf("summary shows a value: %s", s)
		}
	}
	if s := summarize(vault.FormatHOCON, "# nothing\n"); !s.Empty {
		t.Errorf("empty vault summary = %+v", s)
	}
	if s := summarize(vault.FormatJSON, "{"); !s.Invalid {
		t.Errorf("broken vault summary = %+v", s)
	}
}

func TestDiffLines(t *testing.T) {
	got := diffLines("--- version 1\n+++ version 2\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n")
	var kinds []string
	for _, l := range got {
		kinds = append(kinds, l.Kind)
	}
	if want := []string{"head", "head", "hunk", "", "del", "add"}; !reflect.DeepEqual(kinds,
		want) {
		t.Errorf("kinds = %q, want %q", kinds, want)
	}
}

func TestPickVersions(t *testing.T) {
	list := []vault.Version{{Version: 3}, {Version: 2}, {Version: 1}}
	cases := []struct {
		a, b         string
		wantA, wantB int
	}{
		{"", "", 2, 3},
		{"1", "3", 1, 3},
		{"1", "9", 2, 3},
		{"x", "1", 2, 3},
	}
	for _, tc := range cases {
		if a, b := pickVersions(list, tc.a, tc.b); a != tc.wantA || b != tc.wantB {
			t.Errorf("pickVersions(%q, %q) = %d, %d, want %d, %d", tc.a, tc.b, a, b, tc.wantA,
				tc.wantB)
		}
	}
	if a, b := pickVersions(list[2:], "", ""); a != 0 || b != 1 {
		t.Errorf("one version: %d, %d, want 0, 1", a, b)
	}
}

func TestFormatOfFile(t *testing.T) {
	for name, want := range map[string]vault.Format{"a.JSON": vault.FormatJSON,
		"b.yml": vault.FormatYAML, "clearml.conf": vault.FormatHOCON, "x.hocon": vault.FormatHOCON} {
		if got, ok := formatOfFile(name); !ok || got != want {
			t.Errorf("formatOfFile(%q) = %q, %v", name, got, ok)
		}
	}
	if _, ok := formatOfFile("notes.txt"); ok {
		t.Error("a .txt file sets a format")
	}
}
