package hocon

import (
	"strings"
	"testing"
)

func TestMerge(t *testing.T) {
	tests := []struct {
		name     string
		dst, src string
		want     string
	}{
		{"objects merge key by key",
			"sdk.aws.s3 { key = a, region = r }", "sdk.aws.s3 { key = b, secret = s }",
			"sdk.aws.s3 { key = b, region = r, secret = s }"},
		{"arrays replace", "a = [1, 2]", "a = [3]", "a = [3]"},
		{"scalar replaces object", "a { b = 1 }", "a = 2", "a = 2"},
		{"object replaces scalar", "a = 2", "a { b = 1 }", "a { b = 1 }"},
		{"empty object keeps", "a { b = 1 }", "a {}", "a { b = 1 }"},
		{"substitution replaces like a scalar", "a { b = 1 }", "a = ${x}", "a = ${x}"},
		{"new keys go last", "b = 1", "a = 2", "b = 1, a = 2"},
		{"null replaces", "a = 1", "a = null", "a = null"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := mustParse(t, tt.dst)
			Merge(dst, mustParse(t, tt.src))
			assertTree(t, dst, mustParse(t, tt.want))
		})
	}
}

// TestMergeCopies checks that changing the merged tree leaves the source alone.
func TestMergeCopies(t *testing.T) {
	src := mustParse(t, "a { b { c = 1 } }, l = [{x = 1}]")
	dst := &Object{}
	Merge(dst, src)
	Merge(dst, mustParse(t, "a.b.d = 2"))
	a, _ := dst.Get("l")
	a.(Array)[0].(*Object).Set("x", Number("9"))
	assertTree(t, src, mustParse(t, "a { b { c = 1 } }, l = [{x = 1}]"))
}

func TestEffective(t *testing.T) {
	layers := []Layer{
		{Source: "clearml.conf", Config: mustParse(t, `
			sdk.aws.s3 { key = file-key, region = eu, credentials = [{bucket = a}] }
			agent.worker_name = w1
			api.extra {}`)},
		{Source: "workspace", Config: mustParse(t, `
			sdk.aws.s3.key = ws-key
			sdk.aws.s3.credentials = [{bucket = b}, {bucket = c}]
			environment {}`)},
		{Source: "group:ml", Config: mustParse(t, `
			agent = { worker_name = w2, docker { image = "python:3" } }
			files { f { path = "~/x" } }
			api.extra {}`)},
		{Source: "user", Config: mustParse(t, `
			agent.docker = gpu
			environment.HOME_DIR = ${HOME}`)},
	}
	want := []string{
		"sdk.aws.s3.key = ws-key (workspace)",
		"sdk.aws.s3.region = eu (clearml.conf)",
		`sdk.aws.s3.credentials = [{"bucket":"b"},{"bucket":"c"}] (workspace)`,
		"agent.worker_name = w2 (group:ml)",
		"agent.docker = gpu (user)",
		"api.extra = {} (group:ml)",
		`environment.HOME_DIR = "${HOME}" (user)`,
		"files.f.path = ~/x (group:ml)",
	}
	var got []string
	for _, l := range Effective(layers) {
		got = append(got, l.Key()+" = "+leafText(t, l.Value)+" ("+l.Source+")")
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Effective() =\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// leafText shows a leaf value compactly: strings bare, anything else as JSON.
func leafText(t *testing.T, v Value) string {
	t.Helper()
	if s, ok := v.(String); ok {
		return string(s)
	}
	b, err := obj("v", v).JSON()
	if err != nil {
		t.Fatalf("JSON() error: %v", err)
	}
	return strings.TrimSuffix(strings.TrimPrefix(string(b), `{"v":`), "}")
}

func TestNilObjects(t *testing.T) {
	var o *Object
	if o.Len() != 0 || o.Keys() != nil {
		t.Errorf("nil object: Len() = %d, Keys() = %v; want 0, nil", o.Len(), o.Keys())
	}
	if _, ok := o.Get("a"); ok {
		t.Error("nil object: Get found a key")
	}
	if b, err := o.JSON(); err != nil || string(b) != "{}" {
		t.Errorf("nil object: JSON() = %s, %v; want {}", b, err)
	}
	dst := obj("a", Number("1"))
	Merge(dst, nil)
	assertTree(t, dst, obj("a", Number("1")))
}

func TestEffectiveEmpty(t *testing.T) {
	if got := Effective(nil); len(got) != 0 {
		t.Errorf("Effective(nil) = %v; want no leaves", got)
	}
	if got := Effective([]Layer{{Source: "x"}}); len(got) != 0 {
		t.Errorf("Effective(nil config) = %v; want no leaves", got)
	}
}

func TestLeafKey(t *testing.T) {
	tests := []struct {
		name string
		path []string
		want string
	}{
		{"plain", []string{"sdk", "aws", "s3", "key"}, "sdk.aws.s3.key"},
		{"dotted segment", []string{"environment", "MY.VAR"}, `environment."MY.VAR"`},
		{"spaces", []string{"a b"}, `"a b"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := (Leaf{Path: tt.path}).Key(); got != tt.want {
				t.Errorf("Key() = %s; want %s", got, tt.want)
			}
		})
	}
}
