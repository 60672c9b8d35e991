// Package hocon parses, merges and renders the HOCON text of configuration vaults.
//
// Vaults are downloaded by the unchanged ClearML SDK and clearml-agent, which parse them
// with pyhocon and deep-merge the result over their clearml.conf (wire.md section 5). The
// server must therefore accept what pyhocon accepts and refuse what it refuses, so this
// package follows pyhocon wherever pyhocon and the HOCON specification disagree. The
// choices, each made to match the client:
//
//   - Booleans are true and false in any letter case. yes, no, on and off are plain strings:
//     pyhocon converts them only when a caller asks for a bool. null, in any case, is Null.
//   - Unquoted strings end at whitespace and at any of $ " { } [ ] = , + # ` ^ ? ! @ * & \
//     but may contain ':' and, after their first character, "//": api_server: http://host:8008
//     is one string, as in the default clearml.conf. "//" or '#' at the start of a token
//     begins a comment.
//   - A key is one quoted string or one unquoted run of letters, digits, Latin-1 letters,
//     '.', '_', '-', '/' and spaces (trimmed). Unquoted keys split at dots, and empty
//     segments are ignored (a..b is a.b). A quoted key is a single segment even when it
//     contains dots; mixing quoted and unquoted segments (a."b") is refused. pyhocon keeps
//     the quotes in the name of a quoted key that contains special characters and does not
//     decode escapes in keys; this package stores the decoded name.
//   - A key followed by "=" or ":" and nothing else (a = at the end of a line) is "".
//   - Array elements that are empty ([1,,2]) or the empty string are dropped.
//   - A number is a number only when spaces and then one of $ } ] , # // a newline, or the
//     end of the input follow it; otherwise it starts a string (10 seconds, 1.2.3). Values
//     pyhocon turns into durations (10 seconds) stay strings here.
//   - Whitespace inside a concatenation is kept after unquoted and quoted strings and after
//     substitutions, and dropped after numbers, booleans, null and triple-quoted strings.
//     Numbers and booleans inside a concatenation keep their source text, where pyhocon
//     would write Python's str() of them (True, 1.5).
//   - Assigning an object to a key that holds a string, number or boolean in the same
//     document is refused (pyhocon raises ConfigWrongTypeException); over null or an array
//     the object replaces; over an unresolved substitution it is concatenated (merged when
//     the client resolves it). A dotted key through a non-object replaces that value.
//   - "+=" appends an array to an earlier array and a string to an earlier string with a
//     space between (pyhocon's behaviour for strings). With no earlier value in the same
//     object block it assigns; any other value is assigned as with "=".
//   - key { ... } does not concatenate with a following object, while key = {..} {..} does.
//   - In unquoted strings a backslash keeps the character after it (both are kept); a
//     backslash at the end of a line continues the value on the next line. Quoted strings
//     decode JSON escapes and keep unknown escapes as written.
//   - Only spaces and tabs separate tokens; other whitespace (no-break space, form feed, a
//     byte-order mark) outside strings and comments is an error, as in pyhocon.
//   - The document root must be an object: pyhocon accepts a top-level array, but the
//     clients cannot merge one over their configuration.
//
// Substitutions (${path}, ${?path}) are kept as Substitution values for the client to
// resolve; the server never resolves them. include in any form is refused, because a vault
// is delivered as text and the client would resolve the include on its own machine.
package hocon
