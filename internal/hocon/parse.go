package hocon

import (
	"strings"
)

const includeMsg = "include is not supported in vaults: put the settings in the vault itself"

// Parse parses a HOCON document, whose root braces are optional, into an ordered tree.
// JSON is HOCON, so JSON documents parse too. Substitutions are kept, not resolved. Every
// refusal is a *SyntaxError; the package comment lists where Parse follows pyhocon rather
// than the HOCON specification.
func Parse(src string) (*Object, error) {
	if err := checkInput(src); err != nil {
		return nil, err
	}
	p := &parser{src: []rune(src)}
	root, err := p.document()
	if err != nil {
		return nil, err
	}
	if p.grew {
		finish(root)
	}
	return root, nil
}

// document reads the whole input: a braced object, or the members of an implicit one.
func (p *parser) document() (*Object, error) {
	p.skipLeading()
	switch p.peek() {
	case '[':
		return nil, p.errorf(p.pos, "the document must be an object, not an array")
	case '{':
		return p.bracedDocument()
	}
	root := &Object{}
	if err := p.members(root, -1); err != nil {
		return nil, err
	}
	return root, nil
}

// skipLeading skips what may precede a braced root: blank lines and comments, and commas
// only when a comment follows them (pyhocon's comment_eol).
func (p *parser) skipLeading() {
	for {
		p.skipBlank()
		if p.peek() != ',' {
			return
		}
		i := p.pos
		for c := p.at(i); c == ',' || isNewline(c); c = p.at(i) {
			i++
		}
		save := p.pos
		p.pos = p.skipSpacesFrom(i)
		if !p.atComment() {
			p.pos = save
			return
		}
	}
}

// bracedDocument reads a root written in braces, which do not count towards MaxDepth.
func (p *parser) bracedDocument() (*Object, error) {
	p.depth--
	root, err := p.object()
	p.depth++
	if err != nil {
		return nil, err
	}
	for {
		p.spaces()
		switch c := p.peek(); {
		case c == eof:
			return root, nil
		case c == ',' || isNewline(c):
			p.pos++
		case p.atComment():
			p.skipComment()
		default:
			return nil, p.errorf(p.pos, "unexpected %s after the '}' that closes the document",
				p.describe(p.pos))
		}
	}
}

// members reads assignments into obj up to the '}' matching the '{' at open, or up to the
// end of the input when open is negative (the root without braces).
func (p *parser) members(obj *Object, open int) error {
	for {
		p.spaces()
		switch c := p.peek(); {
		case c == eof:
			if open < 0 {
				return nil
			}
			return p.unclosed(open, "object", '}')
		case c == '}':
			if open < 0 {
				return p.errorf(p.pos, "unexpected '}' without a matching '{'")
			}
			p.pos++
			return nil
		case c == ',' || isNewline(c):
			p.pos++
		case p.atComment():
			p.skipComment()
		default:
			if err := p.member(obj); err != nil {
				return err
			}
		}
	}
}

func (p *parser) unclosed(open int, what string, closer rune) error {
	line := p.errorf(open, "").(*SyntaxError)
	return p.errorf(p.pos, "unexpected end of input: missing %q to close the %s opened at "+
		"line %d, column %d", closer, what, line.Line, line.Column)
}

// op is how a member assigns its value.
type op int

const (
	opSet    op = iota // key = value, key : value
	opBlock            // key { ... }
	opAppend           // key += value
)

// member reads one assignment and applies it to obj.
func (p *parser) member(obj *Object) error {
	start := p.pos
	if p.atInclude() {
		return p.errorf(start, includeMsg)
	}
	path, err := p.key()
	if err != nil {
		return err
	}
	p.skipBlank()
	how, err := p.separator(path)
	if err != nil {
		return err
	}
	v, err := p.memberValue(path, how, start)
	if err != nil {
		return err
	}
	return p.assign(obj, path, v, how, start)
}

// key reads a quoted key (one segment) or an unquoted one (split at dots).
func (p *parser) key() ([]string, error) {
	start := p.pos
	if p.peek() == '"' {
		k, err := p.quoted(true)
		return []string{k}, err
	}
	for isKeyRune(p.peek()) {
		p.pos++
	}
	if p.pos == start {
		return nil, p.errorf(start, "expected a key, found %s (unquoted keys may contain "+
			"letters, digits, spaces and . _ - /; quote other keys)", p.describe(start))
	}
	raw := strings.Trim(string(p.src[start:p.pos]), " ")
	path := strings.FieldsFunc(raw, func(r rune) bool { return r == '.' })
	if len(path) == 0 {
		return nil, p.errorf(start, "key %q has no name between its dots", raw)
	}
	return path, nil
}

func (p *parser) separator(path []string) (op, error) {
	switch c := p.peek(); {
	case c == '{':
		return opBlock, nil
	case c == '=' || c == ':':
		p.pos++
		return opSet, nil
	case c == '+' && p.at(p.pos+1) == '=':
		p.pos += 2
		return opAppend, nil
	}
	return 0, p.errorf(p.pos, "expected '=', ':', '+=' or '{' after key %q, found %s",
		strings.Join(path, "."), p.describe(p.pos))
}

// memberValue reads the value of a member whose key has the given path. The objects a
// dotted key creates count towards MaxDepth.
func (p *parser) memberValue(path []string, how op, start int) (Value, error) {
	saved := p.depth
	defer func() { p.depth = saved }()
	p.depth += len(path) - 1
	if p.depth > MaxDepth {
		return nil, p.errorf(start, "nesting deeper than %d levels", MaxDepth)
	}
	if how == opBlock {
		return p.object()
	}
	sep := p.pos
	p.skipBlank()
	nextLine := strings.ContainsRune(string(p.src[sep:p.pos]), '\n')
	v, err := p.value()
	if err != nil {
		return nil, err
	}
	return v, p.endOfMember(path, nextLine)
}

// endOfMember checks what follows a value assigned with '=', ':' or '+='. nextLine tells
// that the value started on a line after the separator, which explains most such errors.
func (p *parser) endOfMember(path []string, nextLine bool) error {
	p.spaces()
	c := p.peek()
	if c == eof || c == '}' || c == ',' || isNewline(c) || p.atComment() {
		return nil
	}
	hint := "quote strings that contain any of $ \" { } [ ] = , + # ` ^ ? ! @ * & \\"
	if nextLine {
		hint = "the value was read from the next line; write \"\" for an empty value"
	}
	return p.errorf(p.pos, "unexpected %s after the value of %q (%s)", p.describe(p.pos),
		strings.Join(path, "."), hint)
}

// enter opens the object or array at pos, refusing nesting deeper than MaxDepth.
func (p *parser) enter() error {
	if p.depth+1 > MaxDepth {
		return p.errorf(p.pos, "nesting deeper than %d levels", MaxDepth)
	}
	p.depth++
	p.pos++
	return nil
}

// object reads { members }.
func (p *parser) object() (*Object, error) {
	open := p.pos
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	obj := &Object{}
	if err := p.members(obj, open); err != nil {
		return nil, err
	}
	return obj, nil
}

// array reads [ elements ], separated by commas or line breaks.
func (p *parser) array() (Array, error) {
	open := p.pos
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	arr := Array{}
	for {
		p.spaces()
		switch c := p.peek(); {
		case c == eof:
			return nil, p.unclosed(open, "array", ']')
		case c == ']':
			p.pos++
			return arr, nil
		case c == ',' || isNewline(c):
			p.pos++
		case p.atComment():
			p.skipComment()
		default:
			v, err := p.element()
			if err != nil {
				return nil, err
			}
			if v != String("") {
				arr = append(arr, v)
			}
		}
	}
}

// element reads one array element and checks what follows it. Empty strings are later
// dropped, as pyhocon drops them.
func (p *parser) element() (Value, error) {
	v, err := p.value()
	if err != nil {
		return nil, err
	}
	p.spaces()
	c := p.peek()
	if c == eof || c == ']' || c == ',' || isNewline(c) || p.atComment() {
		return v, nil
	}
	return nil, p.errorf(p.pos, "unexpected %s in an array (separate elements with ',' or a "+
		"line break; quote strings that contain special characters)", p.describe(p.pos))
}
