package hocon

import "strings"

// token is one piece of a value concatenation.
type token struct {
	val  Value  // the piece on its own: String, Number, Bool, Null, Substitution, *Object, Array
	text string // a scalar's text when concatenated into a string
	// keepsSpace is set for unquoted and quoted strings and substitutions, whose pyhocon
	// patterns capture the spaces after them; other tokens drop those spaces.
	keepsSpace bool
	gap        string // the spaces before this token that the previous token kept
	at         int
}

func (t token) isContainer() bool {
	switch t.val.(type) {
	case *Object, Array:
		return true
	}
	return false
}

// value reads a value concatenation: tokens on one line, separated by optional spaces,
// ending before a line break, ',', '}', ']', a comment or a character no token starts with.
// A backslash at the end of a line continues the value on the next line.
func (p *parser) value() (Value, error) {
	var toks []token
	gap, continued := "", false
	for {
		ws := p.spaces()
		if !continued {
			gap = ws
		}
		continued = false
		if p.peek() == '\\' && p.at(p.pos+1) == '\n' {
			p.pos++
			for isNewline(p.peek()) {
				p.pos++
			}
			continued = true
			continue
		}
		t, ok, err := p.token()
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		if n := len(toks); n > 0 && toks[n-1].keepsSpace {
			t.gap = gap
		}
		toks = append(toks, t)
	}
	return p.fold(toks)
}

// token reads the token at pos; ok is false when no token starts there.
func (p *parser) token() (token, bool, error) {
	start := p.pos
	c := p.peek()
	switch {
	case c == eof || isNewline(c) || c == ',' || c == '}' || c == ']' || p.atComment():
		return token{}, false, nil
	case p.atInclude():
		return token{}, false, p.errorf(start, includeMsg)
	case c == '"' && p.at(start+1) == '"' && p.at(start+2) == '"':
		s, err := p.tripleQuoted()
		return token{val: String(s), text: s, at: start}, err == nil, err
	case c == '"':
		s, err := p.quoted(false)
		return token{val: String(s), text: s, keepsSpace: true, at: start}, err == nil, err
	case c == '$':
		return p.substitutionToken()
	case c == '{':
		o, err := p.object()
		return token{val: o, at: start}, err == nil, err
	case c == '[':
		a, err := p.array()
		return token{val: a, at: start}, err == nil, err
	}
	return p.scalar(), p.pos > start, nil
}

func (p *parser) substitutionToken() (token, bool, error) {
	if p.at(p.pos+1) != '{' {
		return token{}, false, nil
	}
	start := p.pos
	s, err := p.substitution()
	return token{val: s, keepsSpace: true, at: start}, err == nil, err
}

// scalar reads a number, true, false, null or an unquoted string, in pyhocon's order.
func (p *parser) scalar() token {
	start := p.pos
	if n := p.numberLen(); n > 0 {
		p.pos += n
		s := string(p.src[start:p.pos])
		return token{val: Number(s), text: s, at: start}
	}
	if v, n := p.keyword(); n > 0 {
		p.pos += n
		return token{val: v, text: string(p.src[start:p.pos]), at: start}
	}
	p.pos += p.unquotedLen()
	s := string(p.src[start:p.pos])
	return token{val: String(s), text: s, keepsSpace: true, at: start}
}

// fold turns the tokens of a concatenation into one value: the token itself when alone, a
// Concat when a substitution is among them, else the joined string, the concatenated
// array or the merged object. Mixing strings, arrays and objects is an error, as in pyhocon.
func (p *parser) fold(toks []token) (Value, error) {
	switch len(toks) {
	case 0:
		return String(""), nil
	case 1:
		return toks[0].val, nil
	}
	for _, t := range toks {
		if _, ok := t.val.(Substitution); ok {
			return concatTokens(toks), nil
		}
	}
	for _, t := range toks[1:] {
		if !sameKind(toks[0], t) {
			return nil, p.errorf(t.at, "cannot concatenate %s with %s", kindName(toks[0].val),
				kindName(t.val))
		}
	}
	switch first := toks[0].val.(type) {
	case *Object:
		for _, t := range toks[1:] {
			mergeInto(first, t.val.(*Object))
		}
		return first, nil
	case Array:
		for _, t := range toks[1:] {
			first = append(first, t.val.(Array)...)
		}
		return first, nil
	}
	return String(joinText(toks)), nil
}

// sameKind reports whether a and b are both objects, both arrays or both scalars.
func sameKind(a, b token) bool {
	switch a.val.(type) {
	case *Object:
		_, ok := b.val.(*Object)
		return ok
	case Array:
		_, ok := b.val.(Array)
		return ok
	}
	return !b.isContainer()
}

func joinText(toks []token) string {
	var b strings.Builder
	for _, t := range toks {
		b.WriteString(t.gap)
		b.WriteString(t.text)
	}
	return b.String()
}

// concatTokens builds the Concat of tokens that include a substitution. Scalars become
// strings; spaces next to an object or array are dropped, and so are empty strings, which
// can leave the substitution alone.
func concatTokens(toks []token) Value {
	var c Concat
	var b strings.Builder
	flush := func() {
		if b.Len() > 0 {
			c = append(c, String(b.String()))
			b.Reset()
		}
	}
	for i, t := range toks {
		if t.gap != "" && !t.isContainer() && !toks[i-1].isContainer() {
			b.WriteString(t.gap)
		}
		switch t.val.(type) {
		case Substitution, *Object, Array:
			flush()
			c = append(c, t.val)
		default:
			b.WriteString(t.text)
		}
	}
	flush()
	if len(c) == 1 {
		return c[0]
	}
	return c
}
