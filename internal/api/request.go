package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"atrium/internal/apperr"
)

// MaxBody is the largest request body accepted, the SDK's own batch cap (api.http.max_req_size).
const MaxBody = 15 << 20

// parsePath splits a request path into version and endpoint name, following ClearML's
// pattern: an optional "v<digits>[.]<digits>/" then "<name>.<name>" where a name starts with
// a letter or underscore and continues with word characters; one leading and one trailing
// slash are optional. The version is "" when the path carries none. A leading "/api" (the
// web server's proxy prefix) is ignored.
func parsePath(path string) (version, name string, err error) {
	p := path
	if rest, ok := strings.CutPrefix(p, "/api/"); ok {
		p = rest
	} else {
		p = strings.TrimPrefix(p, "/")
	}
	p = strings.TrimSuffix(p, "/")
	if v, rest, ok := strings.Cut(p, "/"); ok {
		if !isVersionSegment(v) {
			return "", "", invalidPath(path)
		}
		if _, err := parseVersion(v[1:]); err != nil {
			return "", "", apperr.Invalidf("Request path has invalid version").WithSub(400, 2)
		}
		version, p = v[1:], rest
	}
	if !isEndpointName(p) {
		return "", "", invalidPath(path)
	}
	return version, p, nil
}

func invalidPath(path string) error {
	return apperr.Invalidf("Invalid request path %s", path).WithSub(400, 0)
}

// isVersionSegment matches "v" + digits + optional "." + digits, at least two digits.
func isVersionSegment(s string) bool {
	if len(s) < 3 || s[0] != 'v' {
		return false
	}
	digits, dot := 0, false
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !dot && digits > 0 && i < len(s)-1:
			dot = true
		default:
			return false
		}
	}
	return digits >= 2
}

// isEndpointName matches "[A-Za-z_]\w+\.[A-Za-z_]\w+".
func isEndpointName(s string) bool {
	service, action, ok := strings.Cut(s, ".")
	return ok && isName(service) && isName(action)
}

func isName(s string) bool {
	if len(s) < 2 || !(isLetter(s[0]) || s[0] == '_') {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isLetter(s[i]) && !(s[i] >= '0' && s[i] <= '9') && s[i] != '_' {
			return false
		}
	}
	return true
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// version is a major.minor API version.
type version struct{ major, minor int }

func parseVersion(s string) (version, error) {
	maj, min, ok := strings.Cut(s, ".")
	a, err1 := strconv.Atoi(maj)
	b := 0
	var err2 error
	if ok {
		b, err2 = strconv.Atoi(min)
	}
	if err1 != nil || err2 != nil || a < 0 || b < 0 {
		return version{}, fmt.Errorf("invalid version %q", s)
	}
	return version{a, b}, nil
}

func (v version) less(o version) bool {
	return v.major < o.major || (v.major == o.major && v.minor < o.minor)
}

// decodeObject parses a JSON object body; an empty body is {}.
func decodeObject(body []byte) (map[string]any, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return map[string]any{}, nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, malformed(err)
	}
	if rest := bytes.TrimSpace(body[dec.InputOffset():]); len(rest) > 0 {
		return nil, malformed(errors.New("trailing data after the JSON object"))
	}
	if m == nil {
		return map[string]any{}, nil
	}
	return m, nil
}

func malformed(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &typ) && typ.Field == "":
		return apperr.Invalidf("Invalid request body (a JSON object is required)").WithSub(400, 12)
	case errors.As(err, &syn):
		return apperr.Invalidf("Invalid request body (malformed JSON at offset %d)", syn.Offset).
			WithSub(400, 12)
	}
	return apperr.Invalidf("Invalid request body (malformed JSON: %s)", err).WithSub(400, 12)
}

// mergeQuery folds query-string values into body the way ClearML does: "a.b=1" nests,
// repeated keys or keys ending in "[]" become lists, true/false become booleans, and digit
// strings become numbers. Query values win over body values.
func mergeQuery(body map[string]any, q url.Values) {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys) // a deterministic outcome when keys collide ("a" and "a.b")
	for _, rawKey := range keys {
		vals := q[rawKey]
		key, forceList := strings.CutSuffix(rawKey, "[]")
		if key == "" {
			continue
		}
		var v any
		if forceList || len(vals) > 1 {
			list := make([]any, len(vals))
			for i, s := range vals {
				list[i] = queryScalar(s)
			}
			v = list
		} else {
			v = queryScalar(vals[0])
		}
		setDotted(body, strings.Split(key, "."), v)
	}
}

func queryScalar(s string) any {
	switch strings.ToLower(s) {
	case "true":
		return true
	case "false":
		return false
	}
	if isDigits(s) {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n
		}
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && strings.Count(s, ".") == 1 &&
		isDigits(strings.Replace(strings.TrimPrefix(s, "-"), ".", "", 1)) {
		return f
	}
	if strings.HasPrefix(s, "-") && isDigits(s[1:]) {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n
		}
	}
	return s
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func setDotted(m map[string]any, path []string, v any) {
	for _, seg := range path[:len(path)-1] {
		next, ok := m[seg].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[seg] = next
		}
		m = next
	}
	m[path[len(path)-1]] = v
}

// splitLines splits an application/json-lines body into its non-blank lines. Lines are not
// validated here: the endpoint stores the good ones and counts the rest as errors, as
// ClearML does for event batches.
func splitLines(body []byte) ([]json.RawMessage, error) {
	var out []json.RawMessage
	for _, line := range bytes.Split(body, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		out = append(out, json.RawMessage(line))
	}
	return out, nil
}
