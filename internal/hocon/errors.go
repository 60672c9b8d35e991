package hocon

import (
	"fmt"
	"unicode"
	"unicode/utf8"
)

// MaxSize is the largest document Parse accepts, in bytes (1 MiB).
const MaxSize = 1 << 20

// MaxDepth is the deepest nesting of objects and arrays Parse accepts. The root object is
// depth 0; each '{', '[' and each extra segment of a dotted key adds one.
const MaxDepth = 100

// SyntaxError is a document Parse refuses. Line and Column are 1-based; Column counts
// characters (a tab is one).
type SyntaxError struct {
	Line, Column int
	Msg          string
}

// Error returns "line L, column C: msg".
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Msg)
}

// checkInput refuses documents over MaxSize and text that is not UTF-8, pointing at the
// first byte that is over the limit or invalid.
func checkInput(src string) error {
	if len(src) > MaxSize {
		return errorAtByte(src, MaxSize, "the document is larger than 1 MiB")
	}
	for i, r := range src {
		if r == utf8.RuneError {
			if _, n := utf8.DecodeRuneInString(src[i:]); n == 1 {
				return errorAtByte(src, i, "the document is not valid UTF-8")
			}
		}
	}
	return nil
}

// errorAtByte builds a SyntaxError for byte offset off of src.
func errorAtByte(src string, off int, msg string) *SyntaxError {
	line, col := 1, 1
	for _, r := range src[:off] {
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return &SyntaxError{Line: line, Column: col, Msg: msg}
}

// errorf builds a SyntaxError at rune offset off.
func (p *parser) errorf(off int, format string, args ...any) error {
	line, col := 1, 1
	for _, r := range p.src[:min(off, len(p.src))] {
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return &SyntaxError{Line: line, Column: col, Msg: fmt.Sprintf(format, args...)}
}

// describe names the character at off for an error message ("unexpected X", "found X").
func (p *parser) describe(off int) string {
	switch r := p.at(off); {
	case r == eof:
		return "end of input"
	case r == '\n' || r == '\r':
		return "line break"
	case r == '\uFEFF':
		return "byte-order mark U+FEFF"
	case isPySpace(r):
		return fmt.Sprintf("whitespace character U+%04X (only spaces and tabs separate values)", r)
	case !unicode.IsPrint(r):
		return fmt.Sprintf("character U+%04X", r)
	default:
		return fmt.Sprintf("'%c'", r)
	}
}
