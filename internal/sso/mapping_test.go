package sso

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

func TestMapProfile(t *testing.T) {
	claims := map[string]any{
		"sub": "abc", "email": "Ada@Example.COM", "name": "Ada Lovelace",
		"given_name": "Ada", "family_name": "Lovelace", "picture": "https://img.test/a.png",
		"groups":  []any{"ML", "CN=Vision Team,OU=Groups,DC=corp,DC=test", "ML", ""},
		"profile": map[string]any{"dept": "research"},
		"oid":     "object-1",
	}
	st := Presets()[0].Defaults()
	st.ClaimGroups = "groups"
	p := mapProfile(st, claims, "fallback", true)
	if p.Subject != "abc" || p.Email != "ada@example.com" || p.Name != "Ada Lovelace" ||
		p.GivenName != "Ada" || p.FamilyName != "Lovelace" || !p.EmailVerified {
		t.Fatalf("profile = %+v", p)
	}
	if !slices.Equal(p.Groups, []string{"ML", "Vision Team"}) {
		t.Fatalf("groups = %q", p.Groups)
	}
	st.ClaimUserID, st.ClaimName = "oid", "profile.dept"
	p = mapProfile(st, claims, "fallback", false)
	if p.Subject != "object-1" || p.Name != "research" || p.EmailVerified {
		t.Fatalf("custom claims: %+v", p)
	}
	st.ClaimUserID = "missing"
	if p := mapProfile(st, claims, "fallback", false); p.Subject != "fallback" {
		t.Fatalf("missing user id claim: subject %q", p.Subject)
	}
	// A single group as a string, and numbers, are read as lists.
	p = mapProfile(st, map[string]any{"groups": "solo", "email": 7.0}, "s", true)
	if !slices.Equal(p.Groups, []string{"solo"}) || p.Email != "7" {
		t.Fatalf("scalars: %+v", p)
	}
}

func TestGroupName(t *testing.T) {
	for in, want := range map[string]string{
		"ml":                              "ml",
		"CN=ML Team,OU=Groups,DC=corp":    "ML Team",
		"cn = ops , dc=corp":              "ops",
		"cn=only":                         "cn=only",
		"OU=Groups,DC=corp":               "OU=Groups,DC=corp",
		"  spaced  ":                      "spaced",
		"uid=x,ou=people,dc=example,dc=o": "uid=x,ou=people,dc=example,dc=o",
	} {
		if got := groupName(in); got != want {
			t.Errorf("groupName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDecodeConfiguration(t *testing.T) {
	var in Input
	raw := `{"display_name":"X","active":true,"client_secret":"s","scopes":"openid, email",
		"group_admins":["a","a","b"],"auth_params":"prompt=login\nhd=corp.test",
		"callback_url":"ignored","id":"abc"}`
	if err := DecodeConfiguration([]byte(raw), &in); err != nil {
		t.Fatal(err)
	}
	if in.DisplayName != "X" || in.Active == nil || !*in.Active || in.Secrets.ClientSecret != "s" ||
		!slices.Equal(in.Settings.Scopes, List{"openid", "email"}) ||
		!slices.Equal(in.Settings.GroupAdmins, List{"a", "b"}) ||
		in.Settings.AuthParams["hd"] != "corp.test" || in.ID != "abc" {
		t.Fatalf("decoded %+v", in)
	}
	in = Input{}
	if err := DecodeConfiguration([]byte(`{"client_secret":"********"}`), &in); err != nil ||
		in.Secrets.ClientSecret != "" {
		t.Fatalf("the mask must keep the saved secret: %v %q", err, in.Secrets.ClientSecret)
	}
	for _, bad := range []string{`[]`, `"x"`, `{"clientid":"typo"}`, `{"active":"yes"}`,
		`{"auth_params":"no equals sign"}`, `{"scopes":5}`, `null`} {
		var in Input
		if err := DecodeConfiguration([]byte(bad), &in); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

func TestViewMasksSecrets(t *testing.T) {
	s := &Service{}
	c := Connection{ID: "0123456789abcdef0123456789abcdef", Protocol: OIDC, DisplayName: "X",
		Secrets: Secrets{ClientSecret: "top-secret"}}
	b, _ := json.Marshal(s.view(c).Configuration())
	if strings.Contains(string(b), "top-secret") || !strings.Contains(string(b), `"client_secret_set":true`) {
		t.Fatalf("view = %s", b)
	}
}

func TestFieldsCoverSettings(t *testing.T) {
	// Every form field is a key the configuration decoder accepts.
	for _, p := range []Protocol{OIDC, SAML, LDAP} {
		for _, f := range Fields(p) {
			if f.ReadOnly {
				continue
			}
			var in Input
			v := `""`
			switch f.Type {
			case "bool":
				v = "false"
			case "number":
				v = "0"
			}
			if err := DecodeConfiguration([]byte(`{"`+f.Name+`":`+v+`}`), &in); err != nil {
				t.Errorf("%s field %s: %v", p, f.Name, err)
			}
		}
	}
}

func FuzzDecodeConfiguration(f *testing.F) {
	f.Add([]byte(`{"display_name":"X","scopes":"a,b","auth_params":"a=b"}`))
	f.Add([]byte(`{"group_admins":["x"],"active":true,"client_secret":"********"}`))
	f.Add([]byte(`{"auth_params":{"prompt":"login"}}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		var in Input
		if err := DecodeConfiguration(raw, &in); err != nil {
			return
		}
		for _, v := range in.Settings.Scopes {
			if v == "" || strings.TrimSpace(v) != v {
				t.Fatalf("untrimmed list entry %q", v)
			}
		}
	})
}

func FuzzMapProfile(f *testing.F) {
	f.Add(`{"sub":"a","email":"x@y","groups":["CN=a,DC=b","c"]}`, "groups")
	f.Fuzz(func(t *testing.T, raw, groupsClaim string) {
		var claims map[string]any
		if json.Unmarshal([]byte(raw), &claims) != nil {
			return
		}
		st := Presets()[0].Defaults()
		st.ClaimGroups = groupsClaim
		p := mapProfile(st, claims, "s", false)
		for _, g := range p.Groups {
			if g == "" {
				t.Fatal("empty group name")
			}
		}
	})
}
