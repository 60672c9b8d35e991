package hocon

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
)

const eof rune = -1

// parser reads one document. Positions are rune offsets into src.
type parser struct {
	src   []rune
	pos   int
	depth int
	grew  bool // a text value was created; Parse must finish the tree
}

func (p *parser) at(i int) rune {
	if i < len(p.src) {
		return p.src[i]
	}
	return eof
}

func (p *parser) peek() rune { return p.at(p.pos) }

// hasPrefixAt reports whether src at off starts with the lower-case ASCII word s,
// ignoring case when fold.
func (p *parser) hasPrefixAt(off int, s string, fold bool) bool {
	for i := 0; i < len(s); i++ {
		c := p.at(off + i)
		if fold && c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != rune(s[i]) {
			return false
		}
	}
	return true
}

// spaces skips spaces and tabs, the only whitespace pyhocon skips between tokens, and
// returns what it skipped.
func (p *parser) spaces() string {
	start := p.pos
	for c := p.peek(); c == ' ' || c == '\t'; c = p.peek() {
		p.pos++
	}
	return string(p.src[start:p.pos])
}

func (p *parser) atComment() bool {
	c := p.peek()
	return c == '#' || (c == '/' && p.at(p.pos+1) == '/')
}

// skipComment skips to the end of the line, leaving the line break.
func (p *parser) skipComment() {
	for c := p.peek(); c != eof && !isNewline(c); c = p.peek() {
		p.pos++
	}
}

// skipBlank skips spaces, line breaks and comments, but not commas: what may stand between
// a key, its separator and its value.
func (p *parser) skipBlank() {
	for {
		p.spaces()
		switch {
		case isNewline(p.peek()):
			p.pos++
		case p.atComment():
			p.skipComment()
		default:
			return
		}
	}
}

// atInclude reports whether an include directive starts here: the keyword include (any
// case) followed by a quoted string, by one of pyhocon's include keywords url, file,
// package and required, or by classpath(.
func (p *parser) atInclude() bool {
	const kw = "include"
	if !p.hasPrefixAt(p.pos, kw, true) || isIdentRune(p.at(p.pos+len(kw))) {
		return false
	}
	i := p.skipSpacesFrom(p.pos + len(kw))
	if p.at(i) == '"' {
		return true
	}
	for _, w := range []string{"url", "file", "package", "required"} {
		if p.hasPrefixAt(i, w, true) && !isIdentRune(p.at(i+len(w))) {
			return true
		}
	}
	return p.hasPrefixAt(i, "classpath", true) && p.at(p.skipSpacesFrom(i+len("classpath"))) == '('
}

func (p *parser) skipSpacesFrom(i int) int {
	for c := p.at(i); c == ' ' || c == '\t'; c = p.at(i) {
		i++
	}
	return i
}

// quoted reads a "..." string and decodes its escapes. A string cannot span lines; in a
// key it cannot contain a carriage return either (pyparsing's QuotedString).
func (p *parser) quoted(inKey bool) (string, error) {
	start := p.pos
	i := start + 1
	for {
		switch c := p.at(i); {
		case c == eof || c == '\n' || (inKey && c == '\r'):
			return "", p.errorf(start, "unterminated string: a quoted string must end on the "+
				"line it starts (use \"\"\" for text over several lines)")
		case c == '"':
			p.pos = i + 1
			return unescape(p.src[start+1 : i]), nil
		case c == '\\':
			if n := p.at(i + 1); n == eof || n == '\n' {
				i++
				continue
			}
			i += 2
		default:
			i++
		}
	}
}

// unescape decodes JSON escapes; an unknown escape is kept as written.
func unescape(rs []rune) string {
	var b strings.Builder
	for i := 0; i < len(rs); i++ {
		if rs[i] != '\\' || i+1 == len(rs) {
			b.WriteRune(rs[i])
			continue
		}
		n, width := escapeAt(rs, i)
		if width == 0 {
			b.WriteRune(rs[i])
			continue
		}
		b.WriteString(n)
		i += width - 1
	}
	return b.String()
}

// escapeAt decodes the escape at rs[i] (a backslash), returning its text and length, or a
// zero length for an escape JSON does not define.
func escapeAt(rs []rune, i int) (string, int) {
	if s, ok := simpleEscape(rs[i+1]); ok {
		return s, 2
	}
	if rs[i+1] != 'u' {
		return "", 0
	}
	r1, ok := hex4(rs, i+2)
	if !ok {
		return "", 0
	}
	if utf16.IsSurrogate(r1) && i+11 < len(rs) && rs[i+6] == '\\' && rs[i+7] == 'u' {
		if r2, ok := hex4(rs, i+8); ok {
			if r := utf16.DecodeRune(r1, r2); r != unicode.ReplacementChar {
				return string(r), 12
			}
		}
	}
	return string(r1), 6
}

func simpleEscape(c rune) (string, bool) {
	switch c {
	case '"', '\\', '/':
		return string(c), true
	case 'b':
		return "\b", true
	case 'f':
		return "\f", true
	case 'n':
		return "\n", true
	case 'r':
		return "\r", true
	case 't':
		return "\t", true
	}
	return "", false
}

func hex4(rs []rune, i int) (rune, bool) {
	if i+4 > len(rs) {
		return 0, false
	}
	n, err := strconv.ParseUint(string(rs[i:i+4]), 16, 32)
	return rune(n), err == nil
}

// tripleQuoted reads a """...""" string: no escapes, line breaks allowed, and quotes just
// before the closing three belong to the content.
func (p *parser) tripleQuoted() (string, error) {
	start := p.pos
	for i := start + 3; i+2 < len(p.src); i++ {
		if p.src[i] == '"' && p.src[i+1] == '"' && p.src[i+2] == '"' {
			for p.at(i+3) == '"' {
				i++
			}
			p.pos = i + 3
			return string(p.src[start+3 : i]), nil
		}
	}
	return "", p.errorf(start, `unterminated triple-quoted string: missing the closing """`)
}

// substitution reads ${path} or ${?path}; the path is everything up to the first '}'.
func (p *parser) substitution() (Substitution, error) {
	start := p.pos
	end := start + 2
	for end < len(p.src) && p.src[end] != '}' {
		end++
	}
	if end == len(p.src) {
		return Substitution{}, p.errorf(start, "unterminated substitution: missing '}'")
	}
	inner := string(p.src[start+2 : end])
	if inner == "" {
		return Substitution{}, p.errorf(start, "empty substitution ${}")
	}
	p.pos = end + 1
	if len(inner) > 1 && inner[0] == '?' {
		return Substitution{Path: inner[1:], Optional: true}, nil
	}
	return Substitution{Path: inner}, nil
}

// numberLen returns the length of the number at pos, or 0. It follows pyhocon's pattern
// [+-]?(\d*\.\d+|\d+(\.\d+)?)([eE][+-]?\d+)? and requires numberEnds after it.
func (p *parser) numberLen() int {
	i := p.pos
	if c := p.at(i); c == '+' || c == '-' {
		i++
	}
	digits := p.digitsFrom(i)
	i += digits
	if p.at(i) == '.' && isDigit(p.at(i+1)) {
		i += 1 + p.digitsFrom(i+1)
	} else if digits == 0 {
		return 0
	}
	if e := p.at(i); e == 'e' || e == 'E' {
		j := i + 1
		if s := p.at(j); s == '+' || s == '-' {
			j++
		}
		if n := p.digitsFrom(j); n > 0 {
			i = j + n
		}
	}
	if !p.numberEnds(i) {
		return 0
	}
	return i - p.pos
}

func (p *parser) digitsFrom(i int) int {
	n := 0
	for isDigit(p.at(i + n)) {
		n++
	}
	return n
}

// numberEnds reports whether a number may end at i: at the end of the input, or before
// optional spaces and one of $ } ] , # // or a line break.
func (p *parser) numberEnds(i int) bool {
	if i == len(p.src) {
		return true
	}
	j := p.skipSpacesFrom(i)
	switch p.at(j) {
	case '$', '}', ']', ',', '#', '\n', '\r':
		return true
	case '/':
		return p.at(j+1) == '/'
	}
	return false
}

// keyword returns the value and length of true, false or null (any case) at pos.
func (p *parser) keyword() (Value, int) {
	var v Value
	var word string
	switch p.peek() {
	case 't', 'T':
		v, word = Bool(true), "true"
	case 'f', 'F':
		v, word = Bool(false), "false"
	case 'n', 'N':
		v, word = Null{}, "null"
	default:
		return nil, 0
	}
	if !p.hasPrefixAt(p.pos, word, true) || isIdentRune(p.at(p.pos+len(word))) {
		return nil, 0
	}
	return v, len(word)
}

// unquotedLen returns the length of the unquoted string at pos. A backslash takes the
// next character with it, unless that is a line break.
func (p *parser) unquotedLen() int {
	i := p.pos
	for {
		c := p.at(i)
		if c == '\\' {
			if n := p.at(i + 1); n != eof && n != '\n' {
				i += 2
				continue
			}
			break
		}
		if c == eof || !isUnquotedRune(c) {
			break
		}
		i++
	}
	return i - p.pos
}

func isNewline(r rune) bool { return r == '\n' || r == '\r' }

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

// isIdentRune is pyparsing's keyword character set: ASCII letters and digits, _ and $.
func isIdentRune(r rune) bool {
	return r == '_' || r == '$' || isDigit(r) || isLetter(r)
}

func isLetter(r rune) bool { return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') }

// isPySpace is Python's str.isspace, which \s in pyhocon's patterns matches.
func isPySpace(r rune) bool {
	return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f)
}

// isUnquotedRune reports whether r may appear in an unquoted string.
func isUnquotedRune(r rune) bool {
	return !strings.ContainsRune("^`+?!@*&\"[{]}#,=$\\", r) && !isPySpace(r)
}

// isKeyRune reports whether r may appear in an unquoted key: pyparsing's alphanums and
// alphas8bit, and . _ - / and space.
func isKeyRune(r rune) bool {
	switch {
	case r < 0x80:
		return isDigit(r) || isLetter(r) || strings.ContainsRune("._- /", r)
	case r >= 0xc0 && r <= 0xff:
		return r != 0xd7 && r != 0xf7
	}
	return false
}
