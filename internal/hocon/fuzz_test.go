package hocon

import (
	"encoding/json"
	"errors"
	"os"
	"testing"
)

// FuzzParse checks that Parse never panics, refuses only with a *SyntaxError, and that
// whatever it accepts renders to HOCON that parses back to the same tree and to valid JSON.
func FuzzParse(f *testing.F) {
	for _, path := range corpusFiles(f) {
		src, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(src))
	}
	for _, s := range []string{
		"a = foo ${x} bar", "a = [1] [2]", "a = {x:1} {y:2}", "a += [1]\na += [2]", "a = x\na += y",
		"a { b = ${x} }\na.b { c = 1 }", "\"a.b\" = \"\"\"x\"\"\"", "a = 1 // c\nb = 10 seconds",
		"a = \\\n b", "include \"x\"", "{ a = [ , ] }", "a = ${?}", "a = true ${x}", "k. j = .5",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		doc, err := Parse(src)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || se.Line < 1 || se.Column < 1 {
				t.Fatalf("Parse(%q) error %v is not a positioned *SyntaxError", src, err)
			}
			return
		}
		text := Render(doc)
		again, err := Parse(text)
		if err != nil {
			t.Fatalf("Parse(Render(Parse(%q))) error: %v\nrendered:\n%s", src, err, text)
		}
		if !Equal(doc, again) {
			t.Fatalf("round trip of %q changed the tree\nfirst:\n%s\nsecond:\n%s", src, text, Render(again))
		}
		out, err := doc.JSON()
		if err != nil || !json.Valid(out) {
			t.Fatalf("JSON() of %q = %s, %v", src, out, err)
		}
		if _, err := Parse(string(out)); err != nil {
			t.Fatalf("Parse(JSON()) of %q error: %v\njson: %s", src, err, out)
		}
	})
}
