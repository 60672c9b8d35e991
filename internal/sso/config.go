package sso

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strings"

	"atrium/internal/apperr"
)

// List is a list of names that accepts a JSON array or one comma-separated string.
type List []string

// UnmarshalJSON implements json.Unmarshaler.
func (l *List) UnmarshalJSON(b []byte) error {
	var arr []string
	if err := json.Unmarshal(b, &arr); err == nil {
		*l = cleanList(arr)
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return errors.New("want a list of strings or a comma-separated string")
	}
	*l = ParseList(s)
	return nil
}

// ParseList splits a comma- or newline-separated string, trimming and dropping blanks and
// repeats.
func ParseList(s string) List {
	return cleanList(strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' }))
}

func cleanList(in []string) List {
	out := List{}
	for _, v := range in {
		if v = strings.TrimSpace(v); v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// Params are extra authorization parameters: a JSON object of strings, or one string of
// name=value lines.
type Params map[string]string

// UnmarshalJSON implements json.Unmarshaler.
func (p *Params) UnmarshalJSON(b []byte) error {
	var m map[string]string
	if err := json.Unmarshal(b, &m); err == nil {
		*p = m
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return errors.New("want an object of strings or name=value lines")
	}
	parsed, err := ParseParams(s)
	*p = parsed
	return err
}

// ParseParams reads name=value lines.
func ParseParams(s string) (Params, error) {
	out := Params{}
	for i, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, fmt.Errorf("line %d: want name=value", i+1)
		}
		out[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return out, nil
}

// String renders params as sorted name=value lines.
func (p Params) String() string {
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%s\n", k, p[k])
	}
	return b.String()
}

// reservedParams may not be overridden by additional authorization parameters.
var reservedParams = []string{"response_type", "client_id", "redirect_uri", "state", "nonce",
	"scope", "code_challenge", "code_challenge_method"}

// Input is a connection as an admin submits it. Empty secrets keep the saved ones.
type Input struct {
	ID          string
	Provider    string
	DisplayName string
	Active      *bool
	Settings    Settings
	Secrets     Secrets
}

// Mask stands for a saved secret in responses; submitting it keeps the secret.
const Mask = "********"

// readOnlyKeys are derived values a client may send back unchanged; they are ignored.
var readOnlyKeys = []string{"id", "callback_url", "acs_url", "metadata_url", "provider",
	"protocol", "created", "last_update", "client_secret_set", "sp_private_key_set",
	"bind_password_set"}

// DecodeConfiguration reads the configuration object of sso.save_provider_configuration.
// Unknown keys are refused so that a typo does not silently do nothing.
func DecodeConfiguration(raw []byte, in *Input) error {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		return apperr.Invalidf("Validation error (configuration must be an object)").
			OnField("configuration").WithSub(400, 12)
	}
	pick := func(key string, into any) error {
		v, ok := fields[key]
		if !ok {
			return nil
		}
		delete(fields, key)
		if err := json.Unmarshal(v, into); err != nil {
			return apperr.Invalidf("Validation error (%s: %v)", key, err).OnField(key).
				WithSub(400, 12)
		}
		return nil
	}
	if err := pick("display_name", &in.DisplayName); err != nil {
		return err
	}
	if _, ok := fields["active"]; ok {
		var a bool
		if err := pick("active", &a); err != nil {
			return err
		}
		in.Active = &a
	}
	if v, ok := fields["id"]; ok && in.ID == "" {
		json.Unmarshal(v, &in.ID)
	}
	for _, k := range readOnlyKeys {
		delete(fields, k)
	}
	for key, into := range map[string]*string{"client_secret": &in.Secrets.ClientSecret,
		"sp_private_key": &in.Secrets.SPPrivateKey, "bind_password": &in.Secrets.BindPassword} {
		if err := pick(key, into); err != nil {
			return err
		}
		if *into == Mask {
			*into = ""
		}
	}
	// Fields with their own syntax are read one by one, so an error names the field.
	for key, into := range map[string]any{"scopes": &in.Settings.Scopes,
		"additional_scopes": &in.Settings.AdditionalScopes,
		"group_admins":      &in.Settings.GroupAdmins, "auth_params": &in.Settings.AuthParams} {
		if err := pick(key, into); err != nil {
			return err
		}
	}
	rest, _ := json.Marshal(fields)
	dec := json.NewDecoder(bytes.NewReader(rest))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in.Settings); err != nil {
		msg := strings.TrimPrefix(err.Error(), "json: ")
		return apperr.Invalidf("Validation error (configuration: %s)", msg).
			OnField("configuration").WithSub(400, 12)
	}
	return nil
}

func invalid(field, format string, args ...any) error {
	return apperr.Invalidf(format, args...).OnField(field).WithSub(400, 12)
}

// checkURL requires an absolute http(s) URL without credentials or fragment. Hosts given
// as addresses are checked against the guard here; names are checked when dialled.
func (s *Service) checkURL(field, raw string, required bool) error {
	if raw == "" {
		if required {
			return invalid(field, "%s is required", label(field))
		}
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" ||
		u.User != nil || u.Fragment != "" {
		return invalid(field, "%s must be an absolute http or https URL", label(field))
	}
	return s.checkHost(field, u.Hostname())
}

func (s *Service) checkHost(field, host string) error {
	if strings.EqualFold(host, "localhost") {
		host = "127.0.0.1"
	}
	if a, err := netip.ParseAddr(host); err == nil {
		if err := s.opts.Guard.Check(a); err != nil {
			return invalid(field, "%s: %v", label(field), err)
		}
	}
	return nil
}

// label finds a field's label for messages.
func label(name string) string {
	for _, p := range []Protocol{OIDC, SAML, LDAP} {
		for _, f := range Fields(p) {
			if f.Name == name {
				return f.Label
			}
		}
	}
	return name
}

// DecodeOver reads a configuration object over what it changes: a saved connection's
// settings, or a new connection's preset defaults, so that keys left out keep their value.
func (s *Service) DecodeOver(ctx context.Context, id, provider string, raw []byte) (Input,
	error) {
	p, err := admin(ctx)
	if err != nil {
		return Input{}, err
	}
	in := Input{ID: id, Provider: provider}
	if id != "" {
		c, err := s.find(ctx, p.WorkspaceID, id)
		if err != nil {
			return Input{}, err
		}
		in.Settings, in.DisplayName = c.Settings, c.DisplayName
	} else if preset, ok := PresetByID(provider); ok {
		in.Settings, in.DisplayName = preset.Defaults(), preset.DisplayName
	}
	return in, DecodeConfiguration(raw, &in)
}
