package identity

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"atrium/internal/apperr"
)

// decodeJSONObject parses s as a JSON object with exact numbers, or returns nil.
func decodeJSONObject(s string) map[string]any {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var m map[string]any
	if dec.Decode(&m) != nil || dec.More() {
		return nil
	}
	return m
}

// badKey returns a key of v that wire.md 3.3 forbids in a stored document: one starting
// with "$" anywhere, or one containing "." or empty below the top level.
func badKey(v any, depth int) (string, bool) {
	switch t := v.(type) {
	case map[string]any:
		for k, c := range t {
			if strings.HasPrefix(k, "$") || (depth > 0 && (k == "" || strings.Contains(k, "."))) {
				return k, true
			}
			if k, bad := badKey(c, depth+1); bad {
				return k, true
			}
		}
	case []any:
		for _, c := range t {
			if k, bad := badKey(c, depth+1); bad {
				return k, true
			}
		}
	}
	return "", false
}

// overlapping reports whether two update keys address the same or nested paths, where the
// result depends on the order the keys are applied in (see TestApplyPreferencesOrder).
func overlapping(update map[string]any) bool {
	for a := range update {
		for b := range update {
			if a != b && strings.HasPrefix(b, a+".") {
				return true
			}
		}
	}
	return false
}

func lookup(doc map[string]any, path []string) (any, bool) {
	var cur any = doc
	for _, seg := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[seg]; !ok {
			return nil, false
		}
	}
	return cur, true
}

func FuzzApplyPreferences(f *testing.F) {
	seeds := []struct{ doc, update string }{
		{`{}`, `{"views.hideExamples":true}`},
		{`{"views":{"theme":"dark"}}`, `{"views.hideExamples":true}`},
		{`{"a":1}`, `{"a.b":2}`},
		{`{"a":[1]}`, `{"a.b":2}`},
		{`{"a":null}`, `{"a.b.c":2}`},
		{`{}`, `{"$bad":1}`},
		{`{}`, `{"a.$b":1}`},
		{`{}`, `{"a":{"b.c":1}}`},
		{`{}`, `{"a":{"$c":1}}`},
		{`{}`, `{"a":[{"b.c":1}]}`},
		{`{}`, `{"a..b":1}`},
		{`{}`, `{".a":1}`},
		{`{}`, `{"a.":1}`},
		{`{}`, `{"":1}`},
		{`{}`, `{"a":{"":1}}`},
		{`{"a":{"b":1}}`, `{"a":{"b":1}}`},
		{`{}`, `{"a":1,"a.b":2}`},
		{`{}`, `{"n":12345678901234567890,"f":1e400}`},
		{`{"x":{"y":{"z":[1,{"w":2}]}}}`, `{"x.y.z":null}`},
	}
	for _, s := range seeds {
		f.Add(s.doc, s.update)
	}
	f.Fuzz(func(t *testing.T, docJSON, updateJSON string) {
		doc, update := decodeJSONObject(docJSON), decodeJSONObject(updateJSON)
		if doc == nil || update == nil {
			return
		}
		if _, bad := badKey(doc, 0); bad {
			return // only documents the service could have stored
		}
		before, _ := json.Marshal(doc)

		next, changed, err := ApplyPreferences(doc, update)
		if after, _ := json.Marshal(doc); !bytes.Equal(before, after) {
			t.Fatalf("ApplyPreferences changed its input: %s -> %s", before, after)
		}
		if err != nil {
			e := apperr.As(err)
			if e == nil || e.Code != 400 || (e.Subcode != 16 && e.Subcode != 305) {
				t.Fatalf("%s: error %v, want 400/16 or 400/305", updateJSON, err)
			}
			return
		}
		if k, bad := badKey(next, 0); bad {
			t.Fatalf("%s on %s stored the forbidden key %q: %v", updateJSON, docJSON, k, next)
		}
		for k := range next {
			if strings.Contains(k, ".") || k == "" {
				t.Fatalf("%s: top-level key %q stored", updateJSON, k)
			}
		}
		if changed == reflect.DeepEqual(doc, next) {
			t.Fatalf("%s: changed = %v, but the documents equal = %v", updateJSON, changed,
				!changed)
		}
		if _, err := json.Marshal(next); err != nil {
			t.Fatalf("%s: result does not marshal: %v", updateJSON, err)
		}
		if overlapping(update) {
			return
		}
		for k, v := range update {
			got, ok := lookup(next, strings.Split(k, "."))
			if !ok || !reflect.DeepEqual(got, v) {
				t.Fatalf("%s: value at %q = %v, want %v", updateJSON, k, got, v)
			}
		}
		again, changedAgain, err := ApplyPreferences(next, update)
		if err != nil || changedAgain || !reflect.DeepEqual(again, next) {
			t.Fatalf("%s: applying twice: changed %v, error %v", updateJSON, changedAgain, err)
		}
	})
}

func TestApplyPreferences(t *testing.T) {
	tests := []struct {
		name    string
		doc     string
		update  string
		want    string
		changed bool
		sub     int // expected 400 subcode; 0 for success
	}{
		{"dotted path nests", `{}`, `{"views.hideExamples":true}`,
			`{"views":{"hideExamples":true}}`, true, 0},
		{"sibling kept", `{"views":{"a":1}}`, `{"views.b":2}`, `{"views":{"a":1,"b":2}}`, true,
			0},
		{"object replaces", `{"views":{"a":1}}`, `{"views":{"b":2}}`, `{"views":{"b":2}}`, true,
			0},
		{"same value", `{"a":{"b":1}}`, `{"a.b":1}`, `{"a":{"b":1}}`, false, 0},
		{"null through", `{"a":null}`, `{"a.b":1}`, `{"a":{"b":1}}`, true, 0},
		{"dollar key", `{}`, `{"$bad":1}`, "", false, 16},
		{"dollar segment", `{}`, `{"a.$b":1}`, "", false, 16},
		{"dotted nested key", `{}`, `{"a":{"b.c":1}}`, "", false, 16},
		{"dollar nested in a list", `{}`, `{"a":[{"$b":1}]}`, "", false, 16},
		{"empty segment", `{}`, `{"a..b":1}`, "", false, 16},
		{"through a number", `{"a":1}`, `{"a.b":2}`, "", false, 305},
		{"through a list", `{"a":[1]}`, `{"a.b":2}`, "", false, 305},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			next, changed, err := ApplyPreferences(decodeJSONObject(tc.doc),
				decodeJSONObject(tc.update))
			if tc.sub != 0 {
				e := apperr.As(err)
				if e == nil || e.Code != 400 || e.Subcode != tc.sub {
					t.Fatalf("error = %v, want 400/%d", err, tc.sub)
				}
				if tc.sub == 16 && !strings.Contains(e.Msg,
					"is invalid. Keys cannot start with '$' or contain '.'.") {
					t.Errorf("message = %q, want the wire.md wording", e.Msg)
				}
				return
			}
			if err != nil {
				t.Fatalf("error = %v, want none", err)
			}
			got, _ := json.Marshal(next)
			if string(got) != tc.want || changed != tc.changed {
				t.Errorf("got %s (changed %v), want %s (changed %v)", got, changed, tc.want,
					tc.changed)
			}
		})
	}
}

// TestApplyPreferencesOrder: an update that sets both "a" and "a.b" must give one answer.
func TestApplyPreferencesOrder(t *testing.T) {
	update := decodeJSONObject(`{"a":{"x":1},"a.b":2}`)
	seen := map[string]bool{}
	for range 200 {
		next, _, err := ApplyPreferences(map[string]any{}, update)
		b, _ := json.Marshal(next)
		seen[string(b)+" "+errString(err)] = true
	}
	if len(seen) > 1 {
		t.Fatalf("ApplyPreferences(%v) gives %d different results (map order): %v",
			update, len(seen), seen)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
