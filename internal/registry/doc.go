package registry

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Sections is a record's free-form JSON document split into its top-level fields. Each
// value is kept as the client sent it, so fields Atrium does not know survive a round
// trip.
type Sections map[string]json.RawMessage

// DecodeSections splits a stored document. An empty document has no sections.
func DecodeSections(doc json.RawMessage) (Sections, error) {
	s := Sections{}
	if len(bytes.TrimSpace(doc)) == 0 {
		return s, nil
	}
	if err := json.Unmarshal(doc, &s); err != nil {
		return nil, fmt.Errorf("decode document: %w", err)
	}
	return s, nil
}

// Encode joins the sections into one document, keys sorted.
func (s Sections) Encode() (json.RawMessage, error) {
	if len(s) == 0 {
		return json.RawMessage("{}"), nil
	}
	b, err := json.Marshal(map[string]json.RawMessage(s))
	if err != nil {
		return nil, fmt.Errorf("encode document: %w", err)
	}
	return b, nil
}

// Object decodes one section as a JSON object; a missing or null section is empty.
func (s Sections) Object(name string) (map[string]json.RawMessage, error) {
	out := map[string]json.RawMessage{}
	raw := s[name]
	if len(raw) == 0 || string(raw) == "null" {
		return out, nil
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("decode %s: %w", name, err)
	}
	return out, nil
}

// SetObject stores one section from a decoded object.
func (s Sections) SetObject(name string, obj map[string]json.RawMessage) error {
	b, err := json.Marshal(obj)
	if err != nil {
		return fmt.Errorf("encode %s: %w", name, err)
	}
	s[name] = b
	return nil
}

// SetField sets one key of an object section to v (any JSON-encodable value).
func (s Sections) SetField(section, key string, v any) error {
	obj, err := s.Object(section)
	if err != nil {
		return err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s.%s: %w", section, key, err)
	}
	obj[key] = b
	return s.SetObject(section, obj)
}

// DeleteField removes one key of an object section.
func (s Sections) DeleteField(section, key string) error {
	obj, err := s.Object(section)
	if err != nil || len(obj) == 0 {
		return err
	}
	delete(obj, key)
	return s.SetObject(section, obj)
}

// Field decodes one key of an object section into v; a missing key leaves v unchanged.
func (s Sections) Field(section, key string, v any) error {
	obj, err := s.Object(section)
	if err != nil {
		return err
	}
	raw, ok := obj[key]
	if !ok || string(raw) == "null" {
		return nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("decode %s.%s: %w", section, key, err)
	}
	return nil
}

// applySections writes the client's sections over doc: a JSON object replaces the
// section, null removes it; anything else is a validation error naming the field.
func applySections(doc json.RawMessage, in map[string]json.RawMessage, allowed []string) (
	json.RawMessage, []string, error) {
	if len(in) == 0 {
		return doc, nil, nil
	}
	s, err := DecodeSections(doc)
	if err != nil {
		return nil, nil, err
	}
	var changed []string
	for _, name := range allowed {
		raw, ok := in[name]
		if !ok {
			continue
		}
		raw = bytes.TrimSpace(raw)
		switch {
		case len(raw) == 0 || string(raw) == "null":
			delete(s, name)
		case raw[0] == '{':
			s[name] = compact(raw)
		default:
			return nil, nil, validation("%s must be an object", name)
		}
		changed = append(changed, name)
	}
	out, err := s.Encode()
	return out, changed, err
}

func compact(raw json.RawMessage) json.RawMessage {
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return raw
	}
	return b.Bytes()
}
