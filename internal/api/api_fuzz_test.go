package api

import (
	"bytes"
	"encoding/json"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"atrium/internal/apperr"
)

// wirePath is an independent reading of wire.md 1.1: after an optional "/api" prefix, an
// optional leading "/", an optional "v<digits>[.]<digits>/" (two digits at least), then
// "<service>.<action>" (each a letter or "_" followed by one or more of [A-Za-z0-9_]), then
// an optional trailing "/".
func wirePath(p string) (ver, name string, ok bool) {
	if rest, cut := strings.CutPrefix(p, "/api/"); cut {
		p = "/" + rest
	}
	p = strings.TrimPrefix(p, "/")
	p = strings.TrimSuffix(p, "/")
	name = p
	if v, n, cut := strings.Cut(p, "/"); cut {
		digits, isVer := strings.CutPrefix(v, "v")
		if !isVer || !isWireVersion(digits) {
			return "", "", false
		}
		ver, name = digits, n
	}
	svc, act, cut := strings.Cut(name, ".")
	if !cut || !isWireIdent(svc) || !isWireIdent(act) {
		return "", "", false
	}
	return ver, name, true
}

func isWireVersion(s string) bool {
	maj, min, dot := strings.Cut(s, ".")
	if dot {
		return isASCIIDigits(maj) && isASCIIDigits(min)
	}
	return len(s) >= 2 && isASCIIDigits(s)
}

func isASCIIDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isWireIdent(s string) bool {
	if len(s) < 2 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		word := c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
		if !word && (i == 0 || c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// wantSub asserts that err is an *apperr.Error with the ClearML code and subcode.
func wantSub(t *testing.T, err error, code, sub int, input any) {
	t.Helper()
	e := apperr.As(err)
	if e == nil || e.Code != code || e.Subcode != sub {
		t.Fatalf("%q: error = %v, want %d/%d", input, err, code, sub)
	}
}

func FuzzParsePath(f *testing.F) {
	for _, s := range []string{
		"/users.get_all", "/v2.23/users.get_all", "/v2.5/auth.login/", "/api/v2.23/a_b.c_d",
		"/v2/users.get_all", "/v22/users.get_all", "/v1.0/x.y", "users.get_all", "//users.ab",
		"/api/api/aa.bb", "/api/", "/", "", "/v2.23/", "/v2.23//aa.bb", "/aa.bb.cc",
		"/_a._b", "/1a.bb", "/aa.b1", "/v99999999999999999999.1/aa.bb", "/vv2.3/aa.bb",
		"/v2.3.4/aa.bb", "/aa.bb//", "/ab.cd\n", "/ab.cd/x", "/ÿa.bb", "/v٢.٣/aa.bb",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, path string) {
		ver, name, err := parsePath(path)
		wver, wname, ok := wirePath(path)
		if !ok {
			wantSub(t, err, 400, 0, path)
			if msg := apperr.As(err).Msg; !strings.HasPrefix(msg, "Invalid request path ") {
				t.Fatalf("%q: message %q, want \"Invalid request path ...\"", path, msg)
			}
			return
		}
		if err != nil {
			if _, verr := parseVersion(wver); verr == nil {
				t.Fatalf("%q: refused (%v), but it matches the wire.md pattern", path, err)
			}
			wantSub(t, err, 400, 2, path)
			return
		}
		if ver != wver || name != wname {
			t.Fatalf("%q: got (%q, %q), want (%q, %q)", path, ver, name, wver, wname)
		}
	})
}

func TestWirePathOracle(t *testing.T) {
	tests := []struct {
		path, ver, name string
		ok              bool
	}{
		{"/users.get_all", "", "users.get_all", true},
		{"/v2.23/users.get_all/", "2.23", "users.get_all", true},
		{"/api/v1.0/aa.bb", "1.0", "aa.bb", true},
		{"/v22/aa.bb", "22", "aa.bb", true},
		{"/v2/aa.bb", "", "", false},
		{"/a.bb", "", "", false},
		{"/aa.bb.cc", "", "", false},
		{"//aa.bb", "", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			ver, name, ok := wirePath(tc.path)
			if ver != tc.ver || name != tc.name || ok != tc.ok {
				t.Errorf("got (%q, %q, %v), want (%q, %q, %v)", ver, name, ok, tc.ver, tc.name,
					tc.ok)
			}
		})
	}
}

func FuzzDecodeObject(f *testing.F) {
	for _, s := range []string{
		``, ` `, `{}`, `null`, `{"a":1}`, `{"a":{"b":[1,2,{"c":null}]}}`, `[]`, `"x"`, `1`,
		`{"a":1} `, `{} {}`, `{"a":`, `{"a":1e400}`, `{"n":12345678901234567890}`,
		"{\"\xff\":1}", `{"a":"\ud800"}`, "\ufeff{}", `{"a":1,"a":2}`, `null}`, `{}]x`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		m, err := decodeObject(body)
		trimmed := bytes.TrimSpace(body)
		isObject := json.Valid(trimmed) && len(trimmed) > 0 && trimmed[0] == '{'
		if err != nil {
			wantSub(t, err, 400, 12, body)
			if isObject {
				t.Fatalf("%q: refused a valid JSON object: %v", body, err)
			}
			return
		}
		if m == nil {
			t.Fatalf("%q: nil map without an error", body)
		}
		empty := len(trimmed) == 0 || string(trimmed) == "null"
		if !isObject && !empty && !hasTrailingCloser(trimmed) {
			t.Fatalf("%q: accepted a body that is not one JSON object: %v", body, m)
		}
		if _, err := json.Marshal(m); err != nil {
			t.Fatalf("%q: decoded value does not marshal again: %v", body, err)
		}
	})
}

// hasTrailingCloser reports one JSON object (or null) followed by "]" or "}" and then
// anything: decodeObject accepts such bodies (see TestDecodeObjectTrailingCloser).
func hasTrailingCloser(b []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(b))
	var v any
	if err := dec.Decode(&v); err != nil {
		return false
	}
	if _, isObject := v.(map[string]any); !isObject && v != nil {
		return false
	}
	rest := bytes.TrimSpace(b[dec.InputOffset():])
	return len(rest) > 0 && (rest[0] == ']' || rest[0] == '}')
}

func TestDecodeObjectTrailingCloser(t *testing.T) {
	for _, body := range []string{`{"a":1}]`, `{}}`, `{} ]]`, `{}]garbage`, `null}`} {
		t.Run(body, func(t *testing.T) {
			if _, err := decodeObject([]byte(body)); err == nil {
				t.Fatalf("decodeObject(%q) accepts trailing data, want 400/12", body)
			}
		})
	}
}

func FuzzMergeQuery(f *testing.F) {
	for _, s := range []string{
		"enabled=true&types=config&types=config", "a.b=1&a.c.d=x", "k[]=1", "k[]=1&k[]=2",
		"a=1&a.b=2", "n=007&f=1.5&neg=-3&e=1e5&big=99999999999999999999", "[]=1", ".=1",
		"a..b=1", "a.=1", "x=NaN&y=Inf&z=-", "%zz=1", "a=%00", "a.b=1&a=2", "k[]=1&k=2",
		"f=.5&g=5.&h=-.5&i=1.2.3&j=" + strings.Repeat("9", 400) + ".5",
	} {
		f.Add(s, `{"a":{"x":1},"keep":"me"}`)
	}
	f.Fuzz(func(t *testing.T, query, body string) {
		vals, err := url.ParseQuery(query)
		if err != nil {
			return
		}
		m, err := decodeObject([]byte(body))
		if err != nil {
			return
		}
		mergeQuery(m, vals)
		if _, err := json.Marshal(m); err != nil {
			t.Fatalf("%q: merged body does not marshal: %v", query, err)
		}
		checkQueryTypes(t, query, m)
		for key, v := range vals {
			if strings.ContainsAny(key, ".") || strings.HasSuffix(key, "[]") ||
				collides(vals, key) || key == "" {
				continue
			}
			want := queryScalar(v[0])
			if len(v) > 1 {
				list := make([]any, len(v))
				for i, s := range v {
					list[i] = queryScalar(s)
				}
				want = list
			}
			if !reflect.DeepEqual(m[key], want) {
				t.Fatalf("%q: body[%q] = %#v, want %#v", query, key, m[key], want)
			}
		}
	})
}

// collides reports whether another query key writes to the same body key.
func collides(vals url.Values, key string) bool {
	for k := range vals {
		if k == key {
			continue
		}
		base, _ := strings.CutSuffix(k, "[]")
		first, _, _ := strings.Cut(base, ".")
		if first == key {
			return true
		}
	}
	return false
}

// checkQueryTypes asserts that merged values have only the JSON shapes ClearML produces.
func checkQueryTypes(t *testing.T, query string, v any) {
	t.Helper()
	switch x := v.(type) {
	case map[string]any:
		for _, c := range x {
			checkQueryTypes(t, query, c)
		}
	case []any:
		for _, c := range x {
			checkQueryTypes(t, query, c)
		}
	case string, bool, int64, float64, json.Number, nil:
	default:
		t.Fatalf("%q: merged value %#v of type %T", query, v, v)
	}
}

func TestMergeQueryDeterministic(t *testing.T) {
	for _, q := range []string{"a=1&a.b=2", "k[]=1&k=2"} {
		t.Run(q, func(t *testing.T) {
			vals, _ := url.ParseQuery(q)
			seen := map[string]bool{}
			for range 100 {
				m := map[string]any{}
				mergeQuery(m, vals)
				b, _ := json.Marshal(m)
				seen[string(b)] = true
			}
			if len(seen) > 1 {
				t.Fatalf("mergeQuery(%q) gives different bodies from call to call: %v",
					q, keys(seen))
			}
		})
	}
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func FuzzSplitLines(f *testing.F) {
	for _, s := range []string{
		"", "\n", "{}", "{\"a\":1}\n{\"b\":2}\n", "{\"a\":1}\r\n\r\n{}", "[1]", "{}{}",
		"{\"a\":\n1}", " {} ", "nope", "{\"method\":\"get\"}\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		lines, err := splitLines(body)
		if err != nil {
			wantSub(t, err, 400, 12, body)
			return
		}
		nonBlank := 0
		for _, l := range bytes.Split(body, []byte("\n")) {
			if len(bytes.TrimSpace(l)) > 0 {
				nonBlank++
			}
		}
		if len(lines) != nonBlank {
			t.Fatalf("%q: %d lines, want %d", body, len(lines), nonBlank)
		}
		for _, l := range lines {
			if len(l) == 0 || bytes.Contains(l, []byte("\n")) {
				t.Fatalf("%q: line %q is blank or spans lines", body, l)
			}
		}
	})
}
