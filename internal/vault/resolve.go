package vault

import (
	"strings"

	"atrium/internal/hocon"
)

// resolve replaces, for the effective-configuration preview, every substitution that names a
// path of the merged configuration by that path's value, as the clients do after merging.
// Substitutions the configuration cannot answer (environment variables such as ${HOME}) and
// self-references stay as written.
func resolve(root *hocon.Object, v hocon.Value) hocon.Value {
	return resolveIn(root, v, map[string]bool{})
}

func resolveIn(root *hocon.Object, v hocon.Value, visiting map[string]bool) hocon.Value {
	switch t := v.(type) {
	case hocon.Substitution:
		found, ok := lookup(root, t.Path)
		if !ok || visiting[t.Path] {
			return t
		}
		visiting[t.Path] = true
		defer delete(visiting, t.Path)
		return resolveIn(root, found, visiting)
	case hocon.Concat:
		parts := make([]hocon.Value, len(t))
		for i, p := range t {
			parts[i] = resolveIn(root, p, visiting)
		}
		return fold(parts)
	case *hocon.Object:
		out := &hocon.Object{}
		for _, k := range t.Keys() {
			child, _ := t.Get(k)
			out.Set(k, resolveIn(root, child, visiting))
		}
		return out
	case hocon.Array:
		out := make(hocon.Array, len(t))
		for i, e := range t {
			out[i] = resolveIn(root, e, visiting)
		}
		return out
	}
	return v
}

// lookup finds a dotted path in the configuration.
func lookup(root *hocon.Object, path string) (hocon.Value, bool) {
	var cur hocon.Value = root
	for _, seg := range strings.Split(strings.TrimSpace(path), ".") {
		obj, ok := cur.(*hocon.Object)
		if !ok {
			return nil, false
		}
		if cur, ok = obj.Get(strings.Trim(seg, `"`)); !ok {
			return nil, false
		}
	}
	return cur, true
}

// fold joins resolved concatenation parts: scalars into one string, objects merged, arrays
// appended. Parts that still hold a substitution keep the concatenation as it is.
func fold(parts []hocon.Value) hocon.Value {
	var objs []*hocon.Object
	var arrs []hocon.Array
	var text strings.Builder
	scalars := 0
	for _, p := range parts {
		switch t := p.(type) {
		case *hocon.Object:
			objs = append(objs, t)
		case hocon.Array:
			arrs = append(arrs, t)
		case hocon.String:
			text.WriteString(string(t))
			if strings.TrimSpace(string(t)) != "" {
				scalars++
			}
		case hocon.Number:
			text.WriteString(string(t))
			scalars++
		case hocon.Bool:
			text.WriteString(map[bool]string{true: "true", false: "false"}[bool(t)])
			scalars++
		default:
			return hocon.Concat(parts)
		}
	}
	switch {
	case len(objs) > 0 && len(arrs) == 0 && scalars == 0:
		out := &hocon.Object{}
		for _, o := range objs {
			hocon.Merge(out, o)
		}
		return out
	case len(arrs) > 0 && len(objs) == 0 && scalars == 0:
		var out hocon.Array
		for _, a := range arrs {
			out = append(out, a...)
		}
		return out
	case len(objs) == 0 && len(arrs) == 0:
		return hocon.String(text.String())
	}
	return hocon.Concat(parts)
}
