package hocon

import (
	"slices"
	"strings"
)

// Value is a node of a parsed document: *Object, Array, String, Number, Bool, Null,
// Substitution or Concat.
type Value interface {
	hoconValue()
}

// Object is an ordered map of keys to values. The zero value is an empty object.
type Object struct {
	keys []string
	vals map[string]Value
}

// Array is a list of values.
type Array []Value

// String is a string value, quoted or not in the source.
type String string

// Number is a number, kept as the text it was written with (1.50 stays 1.50).
type Number string

// Bool is true or false.
type Bool bool

// Null is the null value.
type Null struct{}

// Substitution is ${Path} or, when Optional, ${?Path}. Path is the text between the
// braces as written; the client resolves it, the server never does.
type Substitution struct {
	Path     string
	Optional bool
}

// Concat is a value concatenation that contains at least one substitution, so that only
// the client can compute it. Its parts are String, Substitution, Array and *Object values;
// whitespace between strings and substitutions is a String part of its own.
type Concat []Value

func (*Object) hoconValue()      {}
func (Array) hoconValue()        {}
func (String) hoconValue()       {}
func (Number) hoconValue()       {}
func (Bool) hoconValue()         {}
func (Null) hoconValue()         {}
func (Substitution) hoconValue() {}
func (Concat) hoconValue()       {}

// Keys returns the object's keys in the order they were first set.
func (o *Object) Keys() []string {
	if o == nil {
		return nil
	}
	return slices.Clone(o.keys)
}

// Get returns the value of key.
func (o *Object) Get(key string) (Value, bool) {
	if o == nil {
		return nil, false
	}
	v, ok := o.vals[key]
	return v, ok
}

// Len returns the number of keys.
func (o *Object) Len() int {
	if o == nil {
		return 0
	}
	return len(o.keys)
}

// Set sets key to v. A new key goes last; an existing key keeps its place.
func (o *Object) Set(key string, v Value) {
	if o.vals == nil {
		o.vals = make(map[string]Value)
	}
	if _, ok := o.vals[key]; !ok {
		o.keys = append(o.keys, key)
	}
	o.vals[key] = v
}

// Equal reports whether a and b are the same tree, objects compared with their key order.
func Equal(a, b Value) bool {
	switch a := a.(type) {
	case *Object:
		b, ok := b.(*Object)
		return ok && equalObjects(a, b)
	case Array:
		b, ok := b.(Array)
		return ok && slices.EqualFunc(a, b, Equal)
	case Concat:
		b, ok := b.(Concat)
		return ok && slices.EqualFunc(a, b, Equal)
	case nil:
		return b == nil
	}
	return a == b
}

func equalObjects(a, b *Object) bool {
	if !slices.Equal(a.keys, b.keys) {
		return false
	}
	for _, k := range a.keys {
		if !Equal(a.vals[k], b.vals[k]) {
			return false
		}
	}
	return true
}

// clone returns a deep copy of v, so that merging it somewhere cannot alias the source.
func clone(v Value) Value {
	switch v := v.(type) {
	case *Object:
		c := &Object{}
		for _, k := range v.keys {
			c.Set(k, clone(v.vals[k]))
		}
		return c
	case Array:
		return Array(cloneAll(v))
	case Concat:
		return Concat(cloneAll(v))
	}
	return v
}

func cloneAll(vs []Value) []Value {
	c := make([]Value, len(vs))
	for i, v := range vs {
		c[i] = clone(v)
	}
	return c
}

// kindName names v's kind for error messages.
func kindName(v Value) string {
	switch v.(type) {
	case *Object:
		return "an object"
	case Array:
		return "an array"
	case String, *text:
		return "a string"
	case Number:
		return "a number"
	case Bool:
		return "a boolean"
	case Null:
		return "null"
	}
	return "a substitution"
}

// text is a string being built by repeated "+=" while parsing, so that appending stays
// linear; Parse replaces every text with a String before it returns.
type text struct {
	b strings.Builder
}

func (*text) hoconValue() {}

func newText(parts ...string) *text {
	t := &text{}
	for _, p := range parts {
		t.b.WriteString(p)
	}
	return t
}
