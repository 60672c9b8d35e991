package hocon

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// assign applies one member to obj with pyhocon's rules for keys set more than once: see
// put, appendArray and appendString. The objects on a dotted key's way are created, and
// replace any non-object value found there.
func (p *parser) assign(obj *Object, path []string, v Value, how op, at int) error {
	for _, seg := range path[:len(path)-1] {
		child, ok := obj.vals[seg].(*Object)
		if !ok {
			child = &Object{}
			obj.Set(seg, child)
		}
		obj = child
	}
	key := path[len(path)-1]
	old, _ := obj.Get(key)
	nv, err := p.combine(old, v, how)
	if err != nil {
		return p.errorf(at, "key %q: %v", strings.Join(path, "."), err)
	}
	obj.Set(key, nv)
	return nil
}

// combine returns what a key holding old holds after being assigned v.
func (p *parser) combine(old, v Value, how op) (Value, error) {
	if how == opAppend {
		switch v := v.(type) {
		case Array:
			return p.appendArray(old, v)
		case String:
			return p.appendString(old, v)
		}
	}
	return p.put(old, v)
}

// put is "=": an object merges into an earlier object and is concatenated after an
// unresolved value; a substitution after an object is concatenated to it; anything else
// replaces. An object over a string, number or boolean is refused, as pyhocon refuses it.
func (p *parser) put(old, v Value) (Value, error) {
	switch nv := v.(type) {
	case *Object:
		switch o := old.(type) {
		case nil, Null, Array:
			return nv, nil
		case *Object:
			mergeInto(o, nv)
			return o, nil
		case Substitution, Concat:
			return p.concatOf(o, nv), nil
		}
		return nil, fmt.Errorf("cannot set an object where %s was set before", kindName(old))
	case Substitution, Concat:
		if o, ok := old.(*Object); ok {
			return p.concatOf(o, nv), nil
		}
	}
	return v, nil
}

// appendArray is "+=" with an array: appended to an earlier array, concatenated after an
// unresolved value, and assigned when nothing came before.
func (p *parser) appendArray(old Value, arr Array) (Value, error) {
	switch o := old.(type) {
	case nil, Null:
		return arr, nil
	case Array:
		return append(o, arr...), nil
	case Substitution, Concat:
		return p.concatOf(o, arr), nil
	}
	return nil, fmt.Errorf("cannot append an array to %s", kindName(old))
}

// appendString is "+=" with a string: pyhocon joins it to an earlier scalar with a space.
func (p *parser) appendString(old Value, s String) (Value, error) {
	switch o := old.(type) {
	case nil, Null:
		return s, nil
	case *text:
		o.b.WriteString(" " + string(s))
		return o, nil
	case String, Number, Bool:
		p.grew = true
		return newText(scalarText(o), " ", string(s)), nil
	case Substitution, Concat:
		return p.concatOf(o, String(" "+string(s))), nil
	}
	return nil, errors.New("cannot append a string to " + kindName(old))
}

func scalarText(v Value) string {
	switch v := v.(type) {
	case String:
		return string(v)
	case Number:
		return string(v)
	case Bool:
		return strconv.FormatBool(bool(v))
	}
	return ""
}

// concatOf returns the concatenation of a and b, appending to a when a is already one.
func (p *parser) concatOf(a, b Value) Concat {
	c, ok := a.(Concat)
	if !ok {
		c = Concat{a}
	}
	if bc, ok := b.(Concat); ok {
		for _, v := range bc {
			c = p.appendPart(c, v)
		}
		return c
	}
	return p.appendPart(c, b)
}

// appendPart appends v to c, joining a string to a string that ends c.
func (p *parser) appendPart(c Concat, v Value) Concat {
	s, ok := v.(String)
	if !ok || len(c) == 0 {
		return append(c, v)
	}
	switch last := c[len(c)-1].(type) {
	case String:
		p.grew = true
		c[len(c)-1] = newText(string(last), string(s))
	case *text:
		last.b.WriteString(string(s))
	default:
		return append(c, v)
	}
	return c
}

// mergeInto merges src into dst as pyhocon's merge_configs does: objects key by key,
// anything else replaces. src's values are moved, not copied.
func mergeInto(dst, src *Object) {
	for _, k := range src.keys {
		sv := src.vals[k]
		if so, ok := sv.(*Object); ok {
			if do, ok := dst.vals[k].(*Object); ok {
				mergeInto(do, so)
				continue
			}
		}
		dst.Set(k, sv)
	}
}

// finish replaces the text values built while parsing with Strings.
func finish(v Value) Value {
	switch v := v.(type) {
	case *text:
		return String(v.b.String())
	case *Object:
		for _, k := range v.keys {
			v.vals[k] = finish(v.vals[k])
		}
	case Array:
		for i := range v {
			v[i] = finish(v[i])
		}
	case Concat:
		for i := range v {
			v[i] = finish(v[i])
		}
	}
	return v
}
