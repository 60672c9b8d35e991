package hocon

import (
	"errors"
	"strings"
	"testing"
)

// obj builds an object from alternating keys and values.
func obj(kv ...any) *Object {
	o := &Object{}
	for i := 0; i < len(kv); i += 2 {
		o.Set(kv[i].(string), kv[i+1].(Value))
	}
	return o
}

func sub(path string) Substitution { return Substitution{Path: path} }

func optSub(path string) Substitution { return Substitution{Path: path, Optional: true} }

// mustParse parses src or fails the test.
func mustParse(t *testing.T, src string) *Object {
	t.Helper()
	got, err := Parse(src)
	if err != nil {
		t.Fatalf("Parse(%q) error: %v", src, err)
	}
	return got
}

// assertTree fails the test when got and want differ, showing both as HOCON.
func assertTree(t *testing.T, got, want Value) {
	t.Helper()
	if !Equal(got, want) {
		t.Errorf("tree mismatch\ngot:\n%s\nwant:\n%s", Render(got), Render(want))
	}
}

func TestParseAccepts(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want *Object
	}{
		{"empty document", "", obj()},
		{"only comments", "# one\n// two\n", obj()},
		{"equals separator", "a = 1", obj("a", Number("1"))},
		{"colon separator", "a: 1", obj("a", Number("1"))},
		{"object without separator", "a { b = 1 }", obj("a", obj("b", Number("1")))},
		{"object with equals", "a = { b = 1 }", obj("a", obj("b", Number("1")))},
		{"object with colon", "a: {b: 1}", obj("a", obj("b", Number("1")))},
		{"object brace on next line", "a\n{\nb = 1\n}", obj("a", obj("b", Number("1")))},
		{"separator on next line", "a\n= 1", obj("a", Number("1"))},
		{"value on next line", "a =\n  # comment\n  5", obj("a", Number("5"))},
		{"braced root", "{ a = 1 }", obj("a", Number("1"))},
		{"braced root trailing commas", "{ a = 1 },\n,", obj("a", Number("1"))},
		{"dotted key", "a.b.c = 1", obj("a", obj("b", obj("c", Number("1"))))},
		{"quoted key with dot is one key", `"a.b" = 1`, obj("a.b", Number("1"))},
		{"quoted key equals unquoted", `"a" = 1`, obj("a", Number("1"))},
		{"quoted key escapes decoded", `"a\"b" = 1`, obj(`a"b`, Number("1"))},
		{"empty quoted key", `"" = 1`, obj("", Number("1"))},
		{"key with spaces and slashes", "my key/x = 1", obj("my key/x", Number("1"))},
		{"key with latin-1 letters", "größe = 1", obj("größe", Number("1"))},
		{"empty key segments ignored", "a..b. = 1", obj("a", obj("b", Number("1")))},
		{"key segment keeps inner space", "a. b = 1", obj("a", obj(" b", Number("1")))},
		{"key named include", "include = 5", obj("include", Number("5"))},
		{"key starting with include", "includes = 5", obj("includes", Number("5"))},
		{"key include classpath", "include classpath = 5", obj("include classpath", Number("5"))},
		{"key include files", "include files = 5", obj("include files", Number("5"))},
		{"key named true", "true = false", obj("true", Bool(false))},
		{"duplicate objects merge",
			"a { x = 1, y = 2 }\na { y = 3, z = 4 }",
			obj("a", obj("x", Number("1"), "y", Number("3"), "z", Number("4")))},
		{"dotted key merges into object",
			"a { x = 1 }\na.y = 2", obj("a", obj("x", Number("1"), "y", Number("2")))},
		{"deep merge", "a.b { x = 1 }\na { b { y = 2 } }",
			obj("a", obj("b", obj("x", Number("1"), "y", Number("2"))))},
		{"later scalar replaces object", "a { x = 1 }\na = 2", obj("a", Number("2"))},
		{"later array replaces object", "a { x = 1 }\na = [2]", obj("a", Array{Number("2")})},
		{"later scalar replaces scalar keeping order", "a = 1\nb = 2\na = 3",
			obj("a", Number("3"), "b", Number("2"))},
		{"object replaces array", "a = [1]\na { x = 1 }", obj("a", obj("x", Number("1")))},
		{"object replaces null", "a = null\na { x = 1 }", obj("a", obj("x", Number("1")))},
		{"dotted key replaces scalar", "a = 1\na.b = 2", obj("a", obj("b", Number("2")))},
		{"nested merge replaces scalar", "a { b = 1 }\na { b { c = 2 } }",
			obj("a", obj("b", obj("c", Number("2"))))},
		{"append arrays", "a = [1]\na += [2, 3]", obj("a", Array{Number("1"), Number("2"), Number("3")})},
		{"append to nothing", "a += [1]", obj("a", Array{Number("1")})},
		{"append string", "a = abc\na += def", obj("a", String("abc def"))},
		{"append string repeatedly", "a = x\na += y\na += z", obj("a", String("x y z"))},
		{"append number assigns", "a = [1]\na += 2", obj("a", Number("2"))},
		{"append array to substitution", "a = ${x}\na += [1]",
			obj("a", Concat{sub("x"), Array{Number("1")}})},
		{"comments everywhere",
			"# c1\na { // c2\n  b = 1 # c3\n  // c4\n  c = [1, # c5\n 2] // c6\n}\n",
			obj("a", obj("b", Number("1"), "c", Array{Number("1"), Number("2")}))},
		{"comma separators", "a = 1, b = 2,, c = 3,", obj("a", Number("1"), "b", Number("2"), "c", Number("3"))},
		{"members after block need no separator", "a { x = 1 } b { y = 2 } c = 3",
			obj("a", obj("x", Number("1")), "b", obj("y", Number("2")), "c", Number("3"))},
		{"quoted string escapes", `a = "tab\there \"q\" \\ \/ \u00e9 \ud83d\ude80"`,
			obj("a", String("tab\there \"q\" \\ / é 🚀"))},
		{"quoted unknown escape kept", `a = "c:\temp\q"`, obj("a", String("c:\temp\\q"))},
		{"quoted keeps spaces", `a = "  x  "`, obj("a", String("  x  "))},
		{"unquoted with spaces", "name = hello world", obj("name", String("hello world"))},
		{"unquoted inner spaces kept", "a = foo  bar   ", obj("a", String("foo  bar"))},
		{"unquoted url", "api_server: http://localhost:8008", obj("api_server", String("http://localhost:8008"))},
		{"unquoted colon", "a = b:c", obj("a", String("b:c"))},
		{"unquoted then comment", "a = foo // note", obj("a", String("foo"))},
		{"unquoted then hash comment", "a = foo#note", obj("a", String("foo"))},
		{"unquoted path", "a = ~/.clearml/cache", obj("a", String("~/.clearml/cache"))},
		{"unquoted unicode", "a = café", obj("a", String("café"))},
		{"unquoted backslash pair kept", `a = x\ y`, obj("a", String(`x\ y`))},
		{"line continuation", "a = foo \\\n    bar", obj("a", String("foo bar"))},
		{"triple quoted", "a = \"\"\"line1\n\"quoted\" \\n\"\"\"",
			obj("a", String("line1\n\"quoted\" \\n"))},
		{"triple quoted extra quotes", `a = """"x""""`, obj("a", String(`"x"`))},
		{"integer", "a = 42", obj("a", Number("42"))},
		{"negative float", "a = -1.5", obj("a", Number("-1.5"))},
		{"exponent", "a = 1e-5", obj("a", Number("1e-5"))},
		{"leading point", "a = .5", obj("a", Number(".5"))},
		{"plus sign", "a = +7", obj("a", Number("+7"))},
		{"number keeps text", "a = 1.50", obj("a", Number("1.50"))},
		{"number then comment", "a = 1 // c", obj("a", Number("1"))},
		{"number then spaces at end is a string", "a = 10  ", obj("a", String("10"))},
		{"number then word is a string", "a = 10 seconds", obj("a", String("10 seconds"))},
		{"version is a string", "a = 1.2.3", obj("a", String("1.2.3"))},
		{"trailing point is a string", "a = 30.", obj("a", String("30."))},
		{"true", "a = true", obj("a", Bool(true))},
		{"false any case", "a = FALSE", obj("a", Bool(false))},
		{"True from python", "a = True", obj("a", Bool(true))},
		{"yes is a string", "a = yes", obj("a", String("yes"))},
		{"no is a string", "a = no", obj("a", String("no"))},
		{"on is a string", "a = on", obj("a", String("on"))},
		{"off is a string", "a = off", obj("a", String("off"))},
		{"truex is a string", "a = truex", obj("a", String("truex"))},
		{"null", "a = null", obj("a", Null{})},
		{"empty value", "a =\n", obj("a", String(""))},
		{"empty value before comma", "a = , b = 1", obj("a", String(""), "b", Number("1"))},
		{"empty value at end", "a :", obj("a", String(""))},
		{"empty value takes next line", "a:\nb: c", obj("a", String("b: c"))},
		{"array commas", "a = [1, 2, 3]", obj("a", Array{Number("1"), Number("2"), Number("3")})},
		{"array newlines", "a = [\n  1\n  2\n]", obj("a", Array{Number("1"), Number("2")})},
		{"array trailing comma", "a = [1, 2,]", obj("a", Array{Number("1"), Number("2")})},
		{"array empty elements dropped", "a = [1,,2]", obj("a", Array{Number("1"), Number("2")})},
		{"array empty strings dropped", `a = ["", "x"]`, obj("a", Array{String("x")})},
		{"empty array", "a = []", obj("a", Array{})},
		{"nested arrays", "a = [[1], [2, [3]]]",
			obj("a", Array{Array{Number("1")}, Array{Number("2"), Array{Number("3")}}})},
		{"array of objects", "a = [{x = 1}\n{y = 2}]",
			obj("a", Array{obj("x", Number("1")), obj("y", Number("2"))})},
		{"array element concatenation", "a = [foo bar, baz]",
			obj("a", Array{String("foo bar"), String("baz")})},
		{"string concatenation", `a = foo "bar" baz`, obj("a", String("foo bar baz"))},
		{"adjacent quoted strings", `a = "x""y"`, obj("a", String("xy"))},
		{"number in concatenation keeps text", "a = v 1.50 x", obj("a", String("v 1.50 x"))},
		{"number then quoted is a string", `a = 1 "x"`, obj("a", String("1 x"))},
		{"space after boolean dropped", `a = true "x"`, obj("a", String("truex"))},
		{"space after number before substitution dropped", "a = 1 ${x}",
			obj("a", Concat{String("1"), sub("x")})},
		{"signed number in concatenation", "a = 1+2", obj("a", String("1+2"))},
		{"array concatenation", "a = [1] [2]", obj("a", Array{Number("1"), Number("2")})},
		{"object concatenation", "a = {x:1} {y:2}", obj("a", obj("x", Number("1"), "y", Number("2")))},
		{"object concatenation merges", "a = {x:{p:1}} {x:{q:2}}",
			obj("a", obj("x", obj("p", Number("1"), "q", Number("2"))))},
		{"substitution", "a = ${b.c}", obj("a", sub("b.c"))},
		{"optional substitution", "a = ${?CLEARML_X}", obj("a", optSub("CLEARML_X"))},
		{"substitution in concatenation", "a = foo bar ${x} baz",
			obj("a", Concat{String("foo bar "), sub("x"), String(" baz")})},
		{"substitution path prefix", "a = ${HOME}/.clearml",
			obj("a", Concat{sub("HOME"), String("/.clearml")})},
		{"substitutions with space", "a = ${x} ${y}", obj("a", Concat{sub("x"), String(" "), sub("y")})},
		{"substitution then array", "a = ${x} [1]", obj("a", Concat{sub("x"), Array{Number("1")}})},
		{"substitution then object", "a = ${x} {b = 1}", obj("a", Concat{sub("x"), obj("b", Number("1"))})},
		{"substitution in array", "a = [${x}, ${?y}]", obj("a", Array{sub("x"), optSub("y")})},
		{"substitution path kept raw", "a = ${ x y }", obj("a", sub(" x y "))},
		{"question mark alone is a path", "a = ${?}", obj("a", sub("?"))},
		{"unresolved substitution then object",
			"a = ${x}\na { b = 1 }", obj("a", Concat{sub("x"), obj("b", Number("1"))})},
		{"object then substitution", "a { b = 1 }\na = ${x}", obj("a", Concat{obj("b", Number("1")), sub("x")})},
		{"dotted key replaces substitution", "a = ${x}\na.b = 1", obj("a", obj("b", Number("1")))},
		{"append string to substitution", "a = ${x}\na += y", obj("a", Concat{sub("x"), String(" y")})},
		{"json document", `{"a": {"b": [1, 2.5, true, null, "s"]}, "c": "d"}`,
			obj("a", obj("b", Array{Number("1"), Number("2.5"), Bool(true), Null{}, String("s")}),
				"c", String("d"))},
		{"crlf line endings", "a = 1\r\nb = x\r\n", obj("a", Number("1"), "b", String("x"))},
		{"tabs", "a\t=\t1", obj("a", Number("1"))},
		{"comma before comment before braced root", ", # c\n{a = 1}", obj("a", Number("1"))},
		{"include as a value word", "a = include", obj("a", String("include"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertTree(t, mustParse(t, tt.src), tt.want)
		})
	}
}

func TestParseRefuses(t *testing.T) {
	tests := []struct {
		name      string
		src       string
		line, col int
		msg       string
	}{
		{"missing value at eof", "sdk { a = ", 1, 11, "missing '}' to close the object opened at line 1, column 5"},
		{"unclosed brace", "a {\n  b = 1\n", 3, 1, "missing '}'"},
		{"unclosed bracket", "a = [1,\n2", 2, 2, "missing ']'"},
		{"unclosed string", "a = \"abc\nb = 1", 1, 5, "unterminated string"},
		{"string across lines", "a = \"abc\\\ndef\"", 1, 5, "unterminated string"},
		{"unclosed triple string", "a = \"\"\"abc\n", 1, 5, "unterminated triple-quoted"},
		{"unclosed quoted key", "\"abc = 1", 1, 1, "unterminated string"},
		{"stray closing brace", "a = 1\n}", 2, 1, "unexpected '}'"},
		{"stray closing bracket", "a = 1]", 1, 6, "unexpected ']'"},
		{"closing brace in array", "a = [1}", 1, 7, "unexpected '}' in an array"},
		{"include quoted", "include \"other.conf\"", 1, 1, "include is not supported"},
		{"include file", "a {\n  include file(\"/etc/x.conf\")\n}", 2, 3, "include is not supported"},
		{"include required", "include required(\"x\")", 1, 1, "include is not supported"},
		{"include url", "INCLUDE url(\"http://x\")", 1, 1, "include is not supported"},
		{"include classpath", "include classpath(\"x\")", 1, 1, "include is not supported"},
		{"include in value", "a = include \"x\"", 1, 5, "include is not supported"},
		{"include in array", "a = [include \"x\"]", 1, 6, "include is not supported"},
		{"include keyword without parenthesis", "include file = 1", 1, 1, "include is not supported"},
		{"missing separator", "a b c", 1, 6, "expected '=', ':', '+=' or '{' after key \"a b c\""},
		{"array without separator", "a [1]", 1, 3, "found '['"},
		{"key then junk", "a = 1\nb ; 2", 2, 3, "found ';'"},
		{"invalid key character", "@a = 1", 1, 1, "expected a key, found '@'"},
		{"unicode key", "ключ = 1", 1, 1, "expected a key"},
		{"mixed quoted key", "a.\"b\" = 1", 1, 3, "found '\"'"},
		{"only dots", ". = 1", 1, 1, "no name between its dots"},
		{"forbidden character in value", "a = foo@bar", 1, 8, "unexpected '@' after the value of \"a\""},
		{"plus in value", "a = 1+x", 1, 6, "unexpected '+'"},
		{"equals in value", "a = b = c", 1, 7, "unexpected '='"},
		{"empty value reads next line", "worker_id:\nworker_name = x", 2, 13,
			"unexpected '=' after the value of \"worker_id\" (the value was read from the next line"},
		{"dollar without brace", "a = $x", 1, 5, "unexpected '$'"},
		{"empty substitution", "a = ${}", 1, 5, "empty substitution"},
		{"unterminated substitution", "a = ${x", 1, 5, "unterminated substitution"},
		{"backslash at end of input", "a = x\\", 1, 6, "unexpected '\\'"},
		{"array then string", "a = [1] x", 1, 9, "cannot concatenate an array with a string"},
		{"string then object", "a = x {b = 1}", 1, 7, "cannot concatenate a string with an object"},
		{"object then array", "a = {b = 1} [2]", 1, 13, "cannot concatenate an object with an array"},
		{"value swallows next key", "a = {x = 1} b = 2", 1, 13, "cannot concatenate an object with a string"},
		{"object over scalar", "a = 1\na { b = 2 }", 2, 1, "key \"a\": cannot set an object where a number"},
		{"object over string", "a.b = x\na.b = {c = 1}", 2, 1, "where a string was set"},
		{"append array to string", "a = x\na += [1]", 2, 1, "cannot append an array to a string"},
		{"append string to array", "a = [1]\na += x", 2, 1, "cannot append a string to an array"},
		{"root array", "[1, 2]", 1, 1, "must be an object, not an array"},
		{"content after braced root", "{a = 1}\nb = 2", 2, 1, "after the '}' that closes the document"},
		{"block form does not concatenate", "a {x = 1} {y = 2}", 1, 11, "expected a key, found '{'"},
		{"no-break space", "a = x\u00a0y", 1, 6, "U+00A0"},
		{"form feed", "a = 1\f", 1, 6, "U+000C"},
		{"byte order mark", "\ufeffa = 1", 1, 1, "byte-order mark"},
		{"invalid utf-8", "a = 1\nb = \xff", 2, 5, "not valid UTF-8"},
		{"unicode whitespace column", "a = \"é\" \u2003", 1, 9, "U+2003"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertSyntaxError(t, tt.src, tt.line, tt.col, tt.msg)
		})
	}
}

// assertSyntaxError checks that Parse refuses src at line:col with msg in the message.
func assertSyntaxError(t *testing.T, src string, line, col int, msg string) {
	t.Helper()
	got, err := Parse(src)
	var se *SyntaxError
	if !errors.As(err, &se) {
		t.Fatalf("Parse(%q) = %v, %v; want a *SyntaxError", src, got, err)
	}
	if se.Line != line || se.Column != col || !strings.Contains(se.Msg, msg) {
		t.Errorf("Parse(%q) error = %q; want line %d, column %d containing %q", src, se, line, col, msg)
	}
}

func TestSyntaxErrorString(t *testing.T) {
	err := &SyntaxError{Line: 3, Column: 7, Msg: "unexpected '}'"}
	if got, want := err.Error(), "line 3, column 7: unexpected '}'"; got != want {
		t.Errorf("Error() = %q; want %q", got, want)
	}
}

func TestParseLimits(t *testing.T) {
	deep := func(n int) string { return strings.Repeat("a{", n) + strings.Repeat("}", n) }
	tests := []struct {
		name      string
		src       string
		ok        bool
		line, col int
	}{
		{"size at limit", "a = \"" + strings.Repeat("x", MaxSize-6) + "\"", true, 0, 0},
		{"size over limit", "a = 1\n" + strings.Repeat("#", MaxSize), false, 2, MaxSize - 5},
		{"depth at limit", "a = " + strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth), true, 0, 0},
		{"arrays too deep", "a = " + strings.Repeat("[", MaxDepth+1), false, 1, 5 + MaxDepth},
		{"objects at limit", deep(MaxDepth), true, 0, 0},
		{"objects too deep", deep(MaxDepth + 1), false, 1, 2*MaxDepth + 2},
		{"braced root does not count", "{" + deep(MaxDepth) + "}", true, 0, 0},
		{"dotted key at limit", strings.Repeat("k.", MaxDepth) + "k = 1", true, 0, 0},
		{"dotted key counts", strings.Repeat("k.", MaxDepth+1) + "k = 1", false, 1, 1},
		{"dotted key then object", strings.Repeat("k.", MaxDepth-1) + "k { a { } }", false, 1, 2*MaxDepth + 5},
		{"dotted key then object at limit", strings.Repeat("k.", MaxDepth-1) + "k { a = 1 }", true, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.src)
			if tt.ok {
				if err != nil {
					t.Fatalf("Parse error: %v", err)
				}
				return
			}
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse error = %v; want a *SyntaxError", err)
			}
			if se.Line != tt.line || se.Column != tt.col {
				t.Errorf("error at line %d, column %d (%s); want line %d, column %d",
					se.Line, se.Column, se.Msg, tt.line, tt.col)
			}
		})
	}
}

// TestParseKeyOrder checks that keys keep the order in which they were first set.
func TestParseKeyOrder(t *testing.T) {
	o := mustParse(t, "z = 1\na = 2\nm { y = 1, b = 2 }\nz = 3")
	if got, want := strings.Join(o.Keys(), ","), "z,a,m"; got != want {
		t.Errorf("Keys() = %s; want %s", got, want)
	}
	m, _ := o.Get("m")
	if got, want := strings.Join(m.(*Object).Keys(), ","), "y,b"; got != want {
		t.Errorf("m.Keys() = %s; want %s", got, want)
	}
}

// TestParseAppendIsLinear guards against quadratic "+=" on strings, arrays and
// concatenations, which a 1 MiB document could otherwise exploit.
func TestParseAppendIsLinear(t *testing.T) {
	tests := []struct {
		name, first, line string
	}{
		{"strings", "a = x\n", "a += y\n"},
		{"arrays", "a = []\n", "a += [1]\n"},
		{"concatenation", "a = ${x}\n", "a += y\n"},
		{"objects over substitution", "a = ${x}\n", "a {}\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := (MaxSize - len(tt.first)) / len(tt.line)
			src := tt.first + strings.Repeat(tt.line, n)
			mustParse(t, src)
		})
	}
}
