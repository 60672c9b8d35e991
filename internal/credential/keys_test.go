package credential

import (
	"regexp"
	"testing"
)

func TestKeyShapes(t *testing.T) {
	key := regexp.MustCompile(`^[A-Z0-9]{30}$`)
	sec := regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{66}$`)
	seen := map[string]bool{}
	for range 2000 {
		k, s := NewAccessKey(), NewSecretKey()
		if !key.MatchString(k) || !sec.MatchString(s) {
			t.Fatalf("shapes: %q %q", k, s)
		}
		if seen[k] || seen[s] {
			t.Fatal("a key repeated")
		}
		seen[k], seen[s] = true, true
	}
}
