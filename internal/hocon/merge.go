package hocon

import "strings"

// Merge deep-merges src into dst the way the ClearML clients merge a vault over their
// configuration (wire.md 5.2): objects merge key by key, and anything else in src,
// arrays included, replaces what dst holds. Substitutions and concatenations are not
// resolved and replace like scalars. dst receives copies, so src stays independent.
func Merge(dst, src *Object) {
	if src == nil {
		return
	}
	for _, k := range src.keys {
		sv := src.vals[k]
		if so, ok := sv.(*Object); ok {
			if do, ok := dst.vals[k].(*Object); ok {
				Merge(do, so)
				continue
			}
		}
		dst.Set(k, clone(sv))
	}
}

// Layer is one configuration source for Effective: a vault, or a local file.
type Layer struct {
	Source string
	Config *Object
}

// Leaf is one value of a merged configuration and the source it came from. Arrays are
// single leaves, and so are objects left empty after merging.
type Leaf struct {
	Path   []string
	Value  Value
	Source string
}

// Key returns the leaf's path for display as a dotted key, quoting segments that are not
// plain words. pyhocon does not read keys that mix quoted and unquoted segments, so this
// is for people, not for vault text.
func (l Leaf) Key() string {
	segs := make([]string, len(l.Path))
	for i, s := range l.Path {
		segs[i] = renderKey(s)
	}
	return strings.Join(segs, ".")
}

// Effective merges layers, lowest precedence first, as Merge would, and returns the
// leaves of the result in key order, each with the Source of the layer that set it. An
// empty object's source is the last layer that merged an object at its path.
func Effective(layers []Layer) []Leaf {
	root := &provObject{}
	for _, l := range layers {
		root.merge(l.Config, l.Source)
	}
	return root.leaves(nil, nil)
}

// provObject is a merged object whose members remember their source.
type provObject struct {
	keys []string
	kids map[string]*provNode
}

// provNode is a member of a provObject: an object (obj set) or a leaf value.
type provNode struct {
	obj    *provObject
	leaf   Value
	source string
}

func (po *provObject) set(key string, n *provNode) {
	if po.kids == nil {
		po.kids = make(map[string]*provNode)
	}
	if _, ok := po.kids[key]; !ok {
		po.keys = append(po.keys, key)
	}
	po.kids[key] = n
}

func (po *provObject) merge(o *Object, source string) {
	for _, k := range o.Keys() {
		v, _ := o.Get(k)
		so, isObj := v.(*Object)
		if !isObj {
			po.set(k, &provNode{leaf: clone(v), source: source})
			continue
		}
		n := po.kids[k]
		if n == nil || n.obj == nil {
			n = &provNode{obj: &provObject{}}
			po.set(k, n)
		}
		n.source = source
		n.obj.merge(so, source)
	}
}

func (po *provObject) leaves(prefix []string, out []Leaf) []Leaf {
	for _, k := range po.keys {
		n := po.kids[k]
		path := append(prefix[:len(prefix):len(prefix)], k)
		switch {
		case n.obj == nil:
			out = append(out, Leaf{Path: path, Value: n.leaf, Source: n.source})
		case len(n.obj.keys) == 0:
			out = append(out, Leaf{Path: path, Value: &Object{}, Source: n.source})
		default:
			out = n.obj.leaves(path, out)
		}
	}
	return out
}
