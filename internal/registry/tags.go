package registry

import "strings"

// ParseTagFilter reads ClearML's tag filter syntax: plain tags match when any of them is
// present; after "__$all" they must all be present ("__$any" switches back); a tag
// prefixed with "-", or following "__$not", must be absent.
func ParseTagFilter(tags []string) TagFilter {
	var f TagFilter
	all, not := false, false
	for _, t := range tags {
		switch t {
		case "__$all", "__$and":
			all = true
			continue
		case "__$any", "__$or":
			all = false
			continue
		case "__$not":
			not = true
			continue
		}
		if rest, ok := strings.CutPrefix(t, "-"); ok && rest != "" {
			t, not = rest, true
		}
		switch {
		case t == "":
		case not:
			f.None = append(f.None, t)
		case all:
			f.All = append(f.All, t)
		default:
			f.Any = append(f.Any, t)
		}
		not = false
	}
	return f
}

// cleanTags drops empty and repeated tags, keeping the first occurrence's order. It
// never returns nil, so stored lists render as [].
func cleanTags(tags []string) []string {
	out := make([]string, 0, len(tags))
	for _, t := range tags {
		if t != "" && !hasTag(out, t) {
			out = append(out, t)
		}
	}
	return out
}

func hasTag(tags []string, tag string) bool {
	for _, t := range tags {
		if t == tag {
			return true
		}
	}
	return false
}

func withTag(tags []string, tag string) []string {
	if hasTag(tags, tag) {
		return tags
	}
	return append(append([]string{}, tags...), tag)
}

func withoutTag(tags []string, tag string) []string {
	out := make([]string, 0, len(tags))
	for _, t := range tags {
		if t != tag {
			out = append(out, t)
		}
	}
	return out
}

// matchTags reports whether tags pass the filter.
func matchTags(tags []string, f TagFilter) bool {
	for _, t := range f.None {
		if hasTag(tags, t) {
			return false
		}
	}
	for _, t := range f.All {
		if !hasTag(tags, t) {
			return false
		}
	}
	if len(f.Any) == 0 {
		return true
	}
	for _, t := range f.Any {
		if hasTag(tags, t) {
			return true
		}
	}
	return false
}
