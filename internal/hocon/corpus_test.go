package hocon

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// corpusFiles returns the paths of the realistic clearml.conf-style documents.
func corpusFiles(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "corpus", "*"))
	if err != nil || len(files) < 12 {
		t.Fatalf("corpus: %d files, %v; want at least 12", len(files), err)
	}
	return files
}

// TestCorpus parses every corpus document, compares its JSON with a golden file, and
// checks that Render and JSON both round-trip.
func TestCorpus(t *testing.T) {
	for _, path := range corpusFiles(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			doc := mustParse(t, string(src))
			assertTree(t, mustParse(t, Render(doc)), doc)
			out, err := doc.JSON()
			if err != nil {
				t.Fatalf("JSON() error: %v", err)
			}
			checkGolden(t, filepath.Base(path)+".json", out)
			checkJSONRoundTrip(t, doc, out)
		})
	}
}

// checkGolden compares got, indented, with testdata/golden/name, or rewrites it with -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Indent(&buf, got, "", "  "); err != nil {
		t.Fatalf("indent json: %v", err)
	}
	buf.WriteByte('\n')
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run go test -update): %v", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("JSON differs from %s:\n%s", path, buf.String())
	}
}

// checkJSONRoundTrip parses the JSON rendering back: a document without substitutions
// must come back as the same tree, numbers normalised.
func checkJSONRoundTrip(t *testing.T, doc *Object, out []byte) {
	t.Helper()
	again := mustParse(t, string(out))
	if strings.Contains(Render(doc), "${") {
		return
	}
	again2, err := again.JSON()
	if err != nil || !bytes.Equal(again2, out) {
		t.Errorf("JSON of the parsed JSON = %s, %v; want %s", again2, err, out)
	}
}

// BenchmarkParseCorpus parses the whole corpus once per iteration.
func BenchmarkParseCorpus(b *testing.B) {
	var docs []string
	size := 0
	for _, path := range corpusFiles(b) {
		src, err := os.ReadFile(path)
		if err != nil {
			b.Fatal(err)
		}
		docs = append(docs, string(src))
		size += len(src)
	}
	b.SetBytes(int64(size))
	for b.Loop() {
		for _, d := range docs {
			if _, err := Parse(d); err != nil {
				b.Fatal(err)
			}
		}
	}
}
