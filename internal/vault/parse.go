package vault

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"atrium/internal/apperr"
	"atrium/internal/hocon"
)

// parsed is validated vault data.
type parsed struct {
	deliver string        // the text clients receive
	tree    *hocon.Object // the data as a tree, for merging and previews
}

// maxDelivered bounds the JSON a YAML document may expand to.
const maxDelivered = 4 << 20

// parseData validates data in its format. HOCON is delivered as written; JSON and YAML are
// delivered as JSON text, because the clients parse HOCON only (and JSON is valid HOCON).
// Errors name the line and column.
func parseData(format Format, data string) (parsed, error) {
	switch format {
	case FormatHOCON:
		tree, err := hocon.Parse(data)
		if err != nil {
			return parsed{}, syntaxError("HOCON", err)
		}
		return parsed{deliver: data, tree: tree}, nil
	case FormatJSON:
		if err := checkJSON(data); err != nil {
			return parsed{}, err
		}
		return fromJSON(data)
	case FormatYAML:
		js, err := yamlToJSON(data)
		if err != nil {
			return parsed{}, err
		}
		return fromJSON(js)
	}
	return parsed{}, apperr.Invalidf("Validation error (format must be hocon, json or yaml, "+
		"not %q)", format).WithSub(400, 12)
}

func fromJSON(js string) (parsed, error) {
	tree, err := hocon.Parse(js)
	if err != nil {
		return parsed{}, syntaxError("JSON", err)
	}
	return parsed{deliver: js, tree: tree}, nil
}

func syntaxError(format string, err error) error {
	var se *hocon.SyntaxError
	if errors.As(err, &se) {
		return apperr.Invalidf("Invalid %s at line %d, column %d: %s", format, se.Line, se.Column,
			se.Msg).WithSub(400, 12).OnField("data")
	}
	return apperr.Invalidf("Invalid %s: %s", format, err).WithSub(400, 12).OnField("data")
}

// checkJSON requires one JSON object and reports errors by line and column.
func checkJSON(data string) error {
	dec := json.NewDecoder(strings.NewReader(data))
	var v any
	err := dec.Decode(&v)
	if err == nil && dec.More() {
		err = errors.New("trailing data after the JSON document")
	}
	if err != nil {
		line, col := position(data, jsonOffset(err, dec))
		return apperr.Invalidf("Invalid JSON at line %d, column %d: %s", line, col,
			strings.TrimPrefix(err.Error(), "json: ")).WithSub(400, 12).OnField("data")
	}
	if _, ok := v.(map[string]any); !ok {
		return apperr.Invalidf("Invalid JSON at line 1, column 1: the document must be an "+
			"object").WithSub(400, 12).OnField("data")
	}
	return nil
}

func jsonOffset(err error, dec *json.Decoder) int64 {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return syn.Offset
	}
	return dec.InputOffset()
}

// position turns a byte offset into a 1-based line and column.
func position(data string, off int64) (int, int) {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	before := data[:off]
	line := strings.Count(before, "\n") + 1
	col := len(before) - strings.LastIndex(before, "\n")
	return line, col
}

// yamlToJSON converts a YAML mapping to JSON text. The YAML decoder refuses documents that
// expand aliases excessively (a "billion laughs" bomb), and the result is bounded too.
func yamlToJSON(data string) (string, error) {
	var v any
	dec := yaml.NewDecoder(strings.NewReader(data))
	if err := dec.Decode(&v); err != nil {
		return "", yamlError(err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return "", apperr.Invalidf("Invalid YAML at line 1, column 1: the document must be a "+
			"mapping").WithSub(400, 12).OnField("data")
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		return "", apperr.Invalidf("Invalid YAML: %s", err).WithSub(400, 12).OnField("data")
	}
	if buf.Len() > maxDelivered {
		return "", apperr.Invalidf("Invalid YAML: it expands to more than %d bytes",
			maxDelivered).WithSub(400, 12).OnField("data")
	}
	return strings.TrimSpace(buf.String()), nil
}

func yamlError(err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line, col := 1, 1
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	if n, _ := fmt.Sscanf(msg, "line %d:", &line); n == 1 {
		if i := strings.Index(msg, ": "); i >= 0 {
			msg = msg[i+2:]
		}
	}
	return apperr.Invalidf("Invalid YAML at line %d, column %d: %s", line, col, msg).
		WithSub(400, 12).OnField("data")
}
