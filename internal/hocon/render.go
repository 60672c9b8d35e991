package hocon

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// maxIndent caps indentation, which only makes output readable, so that a deeply nested
// document cannot make Render's output many times larger than its input.
const maxIndent = 16

// Render writes v as HOCON text that Parse, and pyhocon, read back as the same tree: an
// object as a braced block with one member per line, strings always quoted, keys quoted
// unless they are plain words, and substitutions as ${path} or ${?path}. An *Object
// renders as a complete document. The text is often longer than the source it came from,
// so it can exceed MaxSize.
func Render(v Value) string {
	var b strings.Builder
	renderValue(&b, v, 0)
	return b.String()
}

func renderValue(b *strings.Builder, v Value, depth int) {
	switch v := v.(type) {
	case *Object:
		renderObject(b, v, depth)
	case Array:
		renderArray(b, v, depth)
	case Concat:
		for _, part := range v {
			renderValue(b, part, depth)
		}
	case String:
		b.WriteString(quote(string(v)))
	case Number:
		b.WriteString(renderNumber(v))
	case Bool:
		fmt.Fprint(b, bool(v))
	case Null:
		b.WriteString("null")
	case Substitution:
		b.WriteString(substitutionText(v))
	}
}

func renderObject(b *strings.Builder, o *Object, depth int) {
	if o.Len() == 0 {
		b.WriteString("{}")
		return
	}
	b.WriteString("{\n")
	for _, k := range o.keys {
		indent(b, depth+1)
		b.WriteString(renderKey(k))
		if _, ok := o.vals[k].(*Object); ok {
			b.WriteString(" ")
		} else {
			b.WriteString(" = ")
		}
		renderValue(b, o.vals[k], depth+1)
		b.WriteString("\n")
	}
	indent(b, depth)
	b.WriteString("}")
}

// renderArray writes an array of scalars on one line and any other array one element per
// line.
func renderArray(b *strings.Builder, a Array, depth int) {
	if len(a) == 0 || allScalars(a) {
		b.WriteString("[")
		for i, v := range a {
			if i > 0 {
				b.WriteString(", ")
			}
			renderValue(b, v, depth)
		}
		b.WriteString("]")
		return
	}
	b.WriteString("[\n")
	for _, v := range a {
		indent(b, depth+1)
		renderValue(b, v, depth+1)
		b.WriteString("\n")
	}
	indent(b, depth)
	b.WriteString("]")
}

func allScalars(a Array) bool {
	for _, v := range a {
		switch v.(type) {
		case *Object, Array, Concat:
			return false
		}
	}
	return true
}

func indent(b *strings.Builder, depth int) {
	b.WriteString(strings.Repeat("  ", min(depth, maxIndent)))
}

// renderNumber writes a number as it was written, or quoted if it is not one that Parse
// would read back as a number (only possible for a Number built by hand).
func renderNumber(n Number) string {
	p := &parser{src: []rune(string(n))}
	if p.numberLen() != len(p.src) {
		return quote(string(n))
	}
	return string(n)
}

func substitutionText(s Substitution) string {
	if s.Optional {
		return "${?" + s.Path + "}"
	}
	return "${" + s.Path + "}"
}

// renderKey writes a key bare when it is a plain word, and quoted otherwise. include is
// quoted so that it can never read as the include directive.
func renderKey(k string) string {
	if k == "" || strings.EqualFold(k, "include") {
		return quote(k)
	}
	for _, r := range k {
		if !isLetter(r) && !isDigit(r) && r != '_' && r != '-' {
			return quote(k)
		}
	}
	return k
}

// quote writes s as a double-quoted string with JSON escapes.
func quote(s string) string {
	return string(appendQuoted(nil, s))
}

func appendQuoted(b []byte, s string) []byte {
	b = append(b, '"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b = append(b, '\\', byte(r))
		case r == '\n':
			b = append(b, `\n`...)
		case r == '\r':
			b = append(b, `\r`...)
		case r == '\t':
			b = append(b, `\t`...)
		case r < 0x20 || r == 0x7f:
			b = fmt.Appendf(b, `\u%04x`, r)
		default:
			b = utf8.AppendRune(b, r)
		}
	}
	return append(b, '"')
}

// JSON renders the object as compact JSON, keys in order. Numbers are written in JSON's
// form (+1 as 1, .5 as 0.5, 007 as 7). A substitution becomes the string "${path}" or
// "${?path}", and a concatenation the string of its parts with substitutions written so;
// a concatenation that holds an array or object becomes the string of its HOCON text.
// JSON is for displaying a configuration: the clients receive HOCON text.
func (o *Object) JSON() ([]byte, error) {
	b := appendJSON(nil, o)
	if !json.Valid(b) {
		return nil, errors.New("render json: produced invalid json")
	}
	return b, nil
}

func appendJSON(b []byte, v Value) []byte {
	switch v := v.(type) {
	case *Object:
		return appendJSONObject(b, v)
	case Array:
		b = append(b, '[')
		for i, e := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSON(b, e)
		}
		return append(b, ']')
	case String:
		return appendQuoted(b, string(v))
	case Number:
		return appendJSONNumber(b, v)
	case Bool:
		return fmt.Append(b, bool(v))
	case Substitution:
		return appendQuoted(b, substitutionText(v))
	case Concat:
		return appendQuoted(b, concatText(v))
	}
	return append(b, "null"...)
}

func appendJSONObject(b []byte, o *Object) []byte {
	b = append(b, '{')
	if o == nil {
		return append(b, '}')
	}
	for i, k := range o.keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendQuoted(b, k)
		b = append(b, ':')
		b = appendJSON(b, o.vals[k])
	}
	return append(b, '}')
}

// concatText writes a concatenation of strings and substitutions as one string, or any
// other concatenation as its HOCON text.
func concatText(c Concat) string {
	var b strings.Builder
	for _, part := range c {
		switch part := part.(type) {
		case String:
			b.WriteString(string(part))
		case Substitution:
			b.WriteString(substitutionText(part))
		default:
			return Render(c)
		}
	}
	return b.String()
}

// appendJSONNumber rewrites a HOCON number in JSON's grammar: no '+', no leading zeros, a
// digit before the point. A Number that is not a number becomes a JSON string.
func appendJSONNumber(b []byte, n Number) []byte {
	s := string(n)
	if renderNumber(n) != s {
		return appendQuoted(b, s)
	}
	if s[0] == '+' || s[0] == '-' {
		if s[0] == '-' {
			b = append(b, '-')
		}
		s = s[1:]
	}
	end := strings.IndexFunc(s, func(r rune) bool { return !isDigit(r) })
	if end < 0 {
		end = len(s)
	}
	digits := strings.TrimLeft(s[:end], "0")
	if digits == "" {
		digits = "0"
	}
	return append(append(b, digits...), s[end:]...)
}
