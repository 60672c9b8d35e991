package oidcrp

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"atrium/internal/testutil/oidcop"
)

// TestVerifyIDToken feeds verifyIDToken, the verifier Finish uses, tokens that a
// hostile or broken provider (or a man in the middle) could return.
func TestVerifyIDToken(t *testing.T) {
	p, c := startProvider(t, oidcop.Options{})
	const nonce = "expected-nonce"
	claims := func(edit func(map[string]any)) map[string]any {
		m := p.IDTokenClaims(alice.Subject, nonce)
		if edit != nil {
			edit(m)
		}
		return m
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		raw     string
		now     func() time.Time
		wantErr string // "" for success
	}{
		{"valid", p.SignToken(claims(nil)), nil, ""},
		{"alg none", oidcop.UnsignedToken(t, claims(nil)), nil, "none"},
		{"hs256 with client secret", oidcop.SignWithKey(t, []byte(testClientSecret),
			jose.HS256, "", claims(nil)), nil, "HS256"},
		{"foreign key", p.SignForeignToken(claims(nil)), nil, "signature"},
		{"foreign ec key", oidcop.SignWithKey(t, ecKey, jose.ES256, p.KeyID(), claims(nil)),
			nil, "signature"},
		{"wrong audience", p.SignToken(claims(func(m map[string]any) {
			m["aud"] = "another-client"
		})), nil, "audience"},
		{"several audiences", p.SignToken(claims(func(m map[string]any) {
			m["aud"] = []string{testClientID, "another-client"}
		})), nil, ""},
		{"several audiences, no azp", p.SignToken(claims(func(m map[string]any) {
			m["aud"] = []string{testClientID, "another-client"}
			delete(m, "azp")
		})), nil, "azp"},
		{"azp of another client", p.SignToken(claims(func(m map[string]any) {
			m["azp"] = "another-client"
		})), nil, "azp"},
		{"wrong issuer", p.SignToken(claims(func(m map[string]any) {
			m["iss"] = "http://127.0.0.1:1"
		})), nil, "different provider"},
		{"wrong nonce", p.SignToken(claims(func(m map[string]any) {
			m["nonce"] = "replayed-nonce"
		})), nil, "nonce"},
		{"no nonce", p.SignToken(claims(func(m map[string]any) {
			delete(m, "nonce")
		})), nil, "nonce"},
		{"expired", p.SignToken(claims(nil)),
			func() time.Time { return time.Now().Add(time.Hour) }, "expired"},
		{"not a jwt", "not-a-token", nil, "malformed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := tt.now
			if now == nil {
				now = time.Now
			}
			idt, got, err := verifyIDToken(context.Background(), guarded(), c, tt.raw, nonce, now)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("verifyIDToken: %v", err)
				}
				if idt.Subject != alice.Subject || got["sub"] != alice.Subject {
					t.Errorf("subject = %q / %v, want %q", idt.Subject, got["sub"], alice.Subject)
				}
				return
			}
			wantErr(t, err, ErrToken, tt.wantErr)
		})
	}
}

func TestVerifyIDTokenEmptyNonce(t *testing.T) {
	p, c := startProvider(t, oidcop.Options{})
	raw := p.SignToken(p.IDTokenClaims(alice.Subject, ""))

	_, _, err := verifyIDToken(context.Background(), guarded(), c, raw, "", time.Now)
	wantErr(t, err, ErrToken, "nonce")
}

func TestMergeUserinfo(t *testing.T) {
	tests := []struct {
		name    string
		info    map[string]any
		wantErr bool
	}{
		{"same subject", map[string]any{"sub": "s1", "email": "new@example.test",
			"iss": "http://evil.test"}, false},
		{"other subject", map[string]any{"sub": "s2", "email": "x@example.test"}, true},
		{"no subject", map[string]any{"email": "x@example.test"}, true},
		{"subject not a string", map[string]any{"sub": 1}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			claims := map[string]any{"sub": "s1", "iss": "http://op.test", "email": "old@example.test"}
			err := mergeUserinfo(claims, tt.info, "s1")
			if tt.wantErr {
				wantErr(t, err, ErrToken, "subject")
				return
			}
			if err != nil {
				t.Fatalf("mergeUserinfo: %v", err)
			}
			if claims["email"] != "new@example.test" || claims["iss"] != "http://op.test" {
				t.Errorf("merged claims = %v, want userinfo email and id token iss", claims)
			}
		})
	}
}

func TestEmailVerified(t *testing.T) {
	tests := []struct {
		v    any
		want bool
	}{
		{true, true}, {"true", true}, {false, false}, {"false", false},
		{"TRUE", false}, {1, false}, {nil, false},
	}
	for _, tt := range tests {
		if got := EmailVerified(map[string]any{"email_verified": tt.v}); got != tt.want {
			t.Errorf("EmailVerified(%#v) = %v, want %v", tt.v, got, tt.want)
		}
	}
}
