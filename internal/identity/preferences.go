package identity

import (
	"encoding/json"
	"reflect"
	"sort"
	"strings"

	"atrium/internal/apperr"
)

// ApplyPreferences applies ClearML's users.set_preferences update to doc: every top-level
// key of update is a dot path into doc ("a.b" sets doc.a.b), created as needed. A path
// segment starting with "$", an empty segment, or a key inside a value that contains "."
// or starts with "$" is refused (400/16); a path that runs through a non-object is refused
// (400/305). It returns the new document and whether anything changed.
func ApplyPreferences(doc map[string]any, update map[string]any) (map[string]any, bool, error) {
	for key, value := range update {
		if err := checkPath(key); err != nil {
			return nil, false, err
		}
		if err := checkNestedKeys(value); err != nil {
			return nil, false, err
		}
	}
	next := deepCopy(doc).(map[string]any)
	keys := make([]string, 0, len(update))
	for k := range update {
		keys = append(keys, k)
	}
	sort.Strings(keys) // "a" before "a.b": overlapping keys always resolve the same way
	for _, key := range keys {
		if err := setPath(next, strings.Split(key, "."), update[key]); err != nil {
			return nil, false, err
		}
	}
	return next, !reflect.DeepEqual(doc, next), nil
}

func invalidKey(k string) error {
	return apperr.Invalidf("Invalid value for fields (Key %s is invalid. Keys cannot start "+
		"with '$' or contain '.'.)", k).WithSub(400, 16)
}

func checkPath(key string) error {
	for _, seg := range strings.Split(key, ".") {
		if seg == "" || strings.HasPrefix(seg, "$") {
			return invalidKey(key)
		}
	}
	return nil
}

func checkNestedKeys(v any) error {
	switch t := v.(type) {
	case map[string]any:
		for k, child := range t {
			if k == "" || strings.HasPrefix(k, "$") || strings.Contains(k, ".") {
				return invalidKey(k)
			}
			if err := checkNestedKeys(child); err != nil {
				return err
			}
		}
	case []any:
		for _, child := range t {
			if err := checkNestedKeys(child); err != nil {
				return err
			}
		}
	}
	return nil
}

func setPath(doc map[string]any, path []string, value any) error {
	cur := doc
	for i, seg := range path[:len(path)-1] {
		next, ok := cur[seg]
		if !ok || next == nil {
			m := map[string]any{}
			cur[seg] = m
			cur = m
			continue
		}
		m, ok := next.(map[string]any)
		if !ok {
			return apperr.Invalidf("Malformed key and/or value (%s is not an object)",
				strings.Join(path[:i+1], ".")).WithSub(400, 305)
		}
		cur = m
	}
	cur[path[len(path)-1]] = deepCopy(value)
	return nil
}

func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, c := range t {
			m[k] = deepCopy(c)
		}
		return m
	case []any:
		s := make([]any, len(t))
		for i, c := range t {
			s[i] = deepCopy(c)
		}
		return s
	}
	return v
}

// decodeDoc parses a stored preference document; a damaged one reads as empty.
func decodeDoc(doc string) map[string]any {
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.UseNumber()
	m := map[string]any{}
	if err := dec.Decode(&m); err != nil || m == nil {
		return map[string]any{}
	}
	return m
}
