package hocon

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestRender(t *testing.T) {
	tests := []struct {
		name string
		v    Value
		want string
	}{
		{"empty object", obj(), "{}"},
		{"scalars", obj("s", String("x"), "n", Number("1.50"), "b", Bool(true), "z", Null{}),
			"{\n  s = \"x\"\n  n = 1.50\n  b = true\n  z = null\n}"},
		{"nested object", obj("a", obj("b", obj())), "{\n  a {\n    b {}\n  }\n}"},
		{"scalar array on one line", obj("a", Array{Number("1"), String("x")}), "{\n  a = [1, \"x\"]\n}"},
		{"object array one per line", Array{obj("k", Number("1"))}, "[\n  {\n    k = 1\n  }\n]"},
		{"string escapes", String("a\"b\\c\nd\te\x01"), `"a\"b\\c\nd\te\u0001"`},
		{"unicode kept", String("café 🚀"), `"café 🚀"`},
		{"keys quoted when needed", obj("a.b", Number("1"), "a b", Number("2"), "", Number("3"),
			"include", Number("4"), "ok_key-1", Number("5")),
			"{\n  \"a.b\" = 1\n  \"a b\" = 2\n  \"\" = 3\n  \"include\" = 4\n  ok_key-1 = 5\n}"},
		{"substitutions", Array{sub("a.b"), optSub("X")}, "[${a.b}, ${?X}]"},
		{"concatenation", Concat{String("foo "), sub("x"), Array{Number("1")}},
			`"foo "${x}[1]`},
		{"hand-made bad number is quoted", Number("12abc"), `"12abc"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Render(tt.v); got != tt.want {
				t.Errorf("Render() =\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

// TestRenderRoundTrip checks that rendered text parses back to the same tree.
func TestRenderRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		src  string
	}{
		{"concatenations", "a = foo ${x} bar\nb = ${x} ${y}\nc = ${x}[1]{d = 2}\ne = \"q\"${?y}"},
		{"object then substitution", "a { b = 1 }\na = ${x}"},
		{"odd keys", "\"a.b\" = 1\n\"include\" = 2\n\"\" = 3\n\"x\\\"y\" = 4\nk. j = 5"},
		{"odd strings", "a = \"\\u0000\\r\\n\\t\\\\\"\nb = \"\"\"x\ny\"\"\"\nc = x\\ y"},
		{"numbers", "a = [1, -2.5, .5, +3, 1e10, 007]"},
		{"odd substitution paths", "a = ${?}\nb = ${??x}\nc = ${ spaced path }"},
		{"deep", "a.b.c.d.e.f = [[[{g = [1]}]]]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			first := mustParse(t, tt.src)
			assertTree(t, mustParse(t, Render(first)), first)
		})
	}
}

func TestJSON(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want string
	}{
		{"scalars", "s = x, n = 1.50, b = true, z = null", `{"s":"x","n":1.50,"b":true,"z":null}`},
		{"numbers in json form", "a = [+1, .5, -.5e3, 007, 0, 00.25]", `{"a":[1,0.5,-0.5e3,7,0,0.25]}`},
		{"substitutions", "a = ${x}, b = ${?y}", `{"a":"${x}","b":"${?y}"}`},
		{"string concatenation", "a = ${HOME}/cache", `{"a":"${HOME}/cache"}`},
		{"array concatenation", "a = ${x} [1]", `{"a":"${x}[1]"}`},
		{"html characters not escaped", `a = "<&>"`, `{"a":"<&>"}`},
		{"control characters", `a = "\u0001\n"`, `{"a":"\u0001\n"}`},
		{"order kept", "z = 1, a = 2", `{"z":1,"a":2}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := mustParse(t, tt.src).JSON()
			if err != nil {
				t.Fatalf("JSON() error: %v", err)
			}
			if string(got) != tt.want {
				t.Errorf("JSON() = %s; want %s", got, tt.want)
			}
		})
	}
}

// TestJSONDocumentsAgree checks that a JSON document means the same to Parse as to
// encoding/json.
func TestJSONDocumentsAgree(t *testing.T) {
	tests := []struct {
		name string
		src  string
	}{
		{"nested", `{"a": {"b": [1, 2.5e3, -0.1, true, false, null, "s"]}, "c": {}}`},
		{"escapes", `{"k\"ey": "\\ \/ \b \f \n \r \t \u00e9 \ud83d\ude80"}`},
		{"dotted key", `{"a.b": {"c.d": 1}}`},
		{"whitespace", "{\n\t\"a\" :\r\n 1 ,\n \"b\":[ ]\n}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := mustParse(t, tt.src).JSON()
			if err != nil {
				t.Fatalf("JSON() error: %v", err)
			}
			var got, want any
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatalf("unmarshal output %s: %v", out, err)
			}
			if err := json.Unmarshal([]byte(tt.src), &want); err != nil {
				t.Fatalf("unmarshal input: %v", err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("JSON() = %s; want the same data as %s", out, tt.src)
			}
		})
	}
}
