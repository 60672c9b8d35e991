package web

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"atrium/internal/hocon"
	"atrium/internal/vault"
)

// targetLabel names a vault type as the Target column shows it.
func targetLabel(t vault.Type) string {
	switch t {
	case vault.TypeConfig:
		return "Client configuration"
	case vault.TypeStorageCredentials:
		return "UI storage credentials"
	case vault.TypeSSHServer:
		return "SSH server"
	case vault.TypeMonitoring:
		return "Monitoring"
	}
	return string(t)
}

func targetChoices(selected vault.Type) []choice {
	var out []choice
	for _, t := range []vault.Type{vault.TypeConfig, vault.TypeStorageCredentials,
		vault.TypeSSHServer, vault.TypeMonitoring} {
		out = append(out, choice{Value: string(t), Label: targetLabel(t)})
	}
	return choose(string(selected), out)
}

func formatChoices(selected vault.Format) []choice {
	return choose(string(selected), []choice{{Value: string(vault.FormatHOCON), Label: "HOCON"},
		{Value: string(vault.FormatJSON), Label: "JSON"},
		{Value: string(vault.FormatYAML), Label: "YAML"}})
}

// formatOf reads a format choice; anything unknown is HOCON, the clients' own format.
func formatOf(raw string) vault.Format {
	switch f := vault.Format(raw); f {
	case vault.FormatJSON, vault.FormatYAML:
		return f
	}
	return vault.FormatHOCON
}

func formatLabel(f vault.Format) string {
	for _, c := range formatChoices("") {
		if c.Value == string(f) {
			return c.Label
		}
	}
	return string(f)
}

// scopeLabel names whom a vault applies to, as the activity log and the effective
// configuration show it.
func scopeLabel(s vault.Scope) string {
	switch s {
	case vault.ScopeOrganization:
		return "Workspace"
	case vault.ScopeGroup:
		return "Group"
	case vault.ScopeServiceAccount:
		return "Service account"
	}
	return "Personal"
}

// vaultName is a vault's name, or a stand-in for one saved without.
func vaultName(v vault.Vault) string {
	return orDefault(strings.TrimSpace(v.Description), "Unnamed vault")
}

// fileExtension is the extension of a downloaded or imported vault of a format.
func fileExtension(f vault.Format) string {
	switch f {
	case vault.FormatJSON:
		return ".json"
	case vault.FormatYAML:
		return ".yaml"
	}
	return ".conf"
}

// formatOfFile guesses the format of an imported file from its name; ok is false when the
// name says nothing.
func formatOfFile(name string) (vault.Format, bool) {
	name = strings.ToLower(name)
	switch {
	case strings.HasSuffix(name, ".json"):
		return vault.FormatJSON, true
	case strings.HasSuffix(name, ".yaml"), strings.HasSuffix(name, ".yml"):
		return vault.FormatYAML, true
	case strings.HasSuffix(name, ".conf"), strings.HasSuffix(name, ".hocon"):
		return vault.FormatHOCON, true
	}
	return "", false
}

// downloadName is the file name a vault downloads as: its name reduced to safe characters,
// and the extension of its format.
func downloadName(v vault.Vault) string {
	var b strings.Builder
	for _, r := range strings.TrimSpace(v.Description) {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-',
			r == '_', r == '.':
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
		if b.Len() >= 60 {
			break
		}
	}
	base := strings.Trim(b.String(), "-.")
	if base == "" {
		base = "vault-" + v.ID
	}
	return base + fileExtension(v.Format)
}

// contentTypeOf is the media type a vault downloads as.
func contentTypeOf(f vault.Format) string {
	switch f {
	case vault.FormatJSON:
		return "application/json; charset=utf-8"
	case vault.FormatYAML:
		return "application/yaml; charset=utf-8"
	}
	return "text/plain; charset=utf-8"
}

// summaryKeys is how many key paths a content summary lists.
const summaryKeys = 3

// contentSummary describes a vault's content by its key paths only: values, secrets among
// them, never appear in the table.
type contentSummary struct {
	Keys    [][]string // each key path in its dot-separated parts, to wrap at the dots
	More    int        // key paths not listed
	Empty   bool
	Invalid bool // the stored text no longer parses
}

func summarize(f vault.Format, data string) contentSummary {
	tree, err := parseTree(f, data)
	if err != nil {
		return contentSummary{Invalid: true}
	}
	leaves := hocon.Effective([]hocon.Layer{{Config: tree}})
	if len(leaves) == 0 {
		return contentSummary{Empty: true}
	}
	var out contentSummary
	for i, l := range leaves {
		if i == summaryKeys {
			out.More = len(leaves) - i
			break
		}
		out.Keys = append(out.Keys, strings.Split(l.Key(), "."))
	}
	return out
}

// parseTree reads a vault's text as a tree, for summaries only: the vault service has
// validated it already. JSON is valid HOCON; YAML goes through JSON first.
func parseTree(f vault.Format, data string) (*hocon.Object, error) {
	if f != vault.FormatYAML {
		return hocon.Parse(data)
	}
	var v map[string]any
	if err := yaml.Unmarshal([]byte(data), &v); err != nil {
		return nil, err
	}
	js, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return hocon.Parse(string(js))
}

// editorError is a refused vault text's error, placed at its line: the message, the
// line's text and a caret under the column, so the spot shows without scripts too.
type editorError struct {
	Message string
	Line    int // 1-based; 0 when the message names no line
	Column  int
	Number  string // the line number, padded to the gutter width
	Text    string // the line, tabs shown as single spaces
	Caret   string // spaces up to the column, then ^
}

var linePattern = regexp.MustCompile(`line (\d+), column (\d+)`)

// excerptWidth bounds the line shown under an error; a longer line is cut around the column.
const excerptWidth = 100

func editorErrorOf(msg, data string) *editorError {
	if msg == "" {
		return nil
	}
	e := &editorError{Message: msg}
	m := linePattern.FindStringSubmatch(msg)
	if m == nil {
		return e
	}
	e.Line, _ = strconv.Atoi(m[1])
	e.Column, _ = strconv.Atoi(m[2])
	lines := strings.Split(data, "\n")
	if e.Line < 1 || e.Line > len(lines) {
		e.Line = 0
		return e
	}
	e.Number = strconv.Itoa(e.Line)
	text := []rune(strings.ReplaceAll(strings.TrimRight(lines[e.Line-1], "\r"), "\t", " "))
	col := max(e.Column-1, 0)
	start := 0
	if len(text) > excerptWidth && col > excerptWidth/2 {
		start = min(col-excerptWidth/2, len(text)-excerptWidth)
	}
	end := min(len(text), start+excerptWidth)
	e.Text = string(text[start:end])
	e.Caret = strings.Repeat(" ", min(col-start, utf8.RuneCountInString(e.Text))) + "^"
	return e
}

// diffLine is one line of a unified diff with its kind: "add", "del", "hunk", "head" or
// "" for context.
type diffLine struct {
	Kind string
	Text string
}

func diffLines(diff string) []diffLine {
	var out []diffLine
	for _, l := range strings.Split(strings.TrimRight(diff, "\n"), "\n") {
		kind := ""
		switch {
		case strings.HasPrefix(l, "+++"), strings.HasPrefix(l, "---"):
			kind = "head"
		case strings.HasPrefix(l, "@@"):
			kind = "hunk"
		case strings.HasPrefix(l, "+"):
			kind = "add"
		case strings.HasPrefix(l, "-"):
			kind = "del"
		case strings.HasPrefix(l, `\`):
			kind = "hunk"
		}
		out = append(out, diffLine{Kind: kind, Text: l})
	}
	return out
}

// normalizeNewlines turns the CRLF line ends browsers send for a textarea into LF, so a
// vault saved from the UI and one saved through the API read alike.
func normalizeNewlines(s string) string {
	return strings.ReplaceAll(s, "\r\n", "\n")
}
