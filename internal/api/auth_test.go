package api_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"atrium/internal/identity"
)

const (
	defaultTokenLifetime = 30 * 24 * 3600
	maxTokenLifetime     = 31536000
)

func TestLoginMethods(t *testing.T) {
	t.Parallel()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			testLoginMethods(t, startServer(t, t.TempDir(), b.dsn(t)))
		})
	}
}

func testLoginMethods(t *testing.T, ts *testServer) {
	adminTok := ts.login(t, adminBasic())
	p := ts.createPair(t, bearer(adminTok), `{"label":"login test"}`)

	tests := []struct {
		name   string
		header map[string]string
	}{
		{"basic access key and secret", map[string]string{"Authorization": p.basic()}},
		{"basic e-mail and password", map[string]string{"Authorization": adminBasic()}},
		{"basic e-mail in another case", map[string]string{
			"Authorization": basic(strings.ToUpper(adminEmail), adminPassword)}},
		{"bearer refresh", map[string]string{"Authorization": bearer(adminTok)}},
		{"lowercase scheme", map[string]string{"Authorization": "bearer " + adminTok}},
		{"cookie from a same-origin page", map[string]string{
			"Cookie": "clearml_token_basic=" + adminTok, "Sec-Fetch-Site": "same-origin"}},
		{"cookie with the own Origin only", map[string]string{
			"Cookie": "clearml_token_basic=" + adminTok, "Origin": ts.URL}},
		{"cookie from the same origin", map[string]string{
			"Cookie": "clearml_token_basic=" + adminTok, "Origin": ts.URL,
			"Sec-Fetch-Site": "same-origin"}},
		{"header wins over a bad cookie", map[string]string{"Authorization": p.basic(),
			"Cookie": "clearml_token_basic=garbage"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := ts.do(t, req{Path: "/auth.login", Header: tc.header})
			wantOK(t, r)
			tok := str(r.Data, "token")
			if tok == "" || tok == adminTok {
				t.Fatalf("token = %q, want a new token", tok)
			}
			_, claims := jwtParts(t, tok)
			if got := str(claims, "identity", "user"); got != ts.AdminID {
				t.Errorf("identity.user = %q, want %q", got, ts.AdminID)
			}
			checkSessionCookie(t, r, tok)
			me := ts.call(t, "users.get_current_user", bearer(tok), "")
			wantOK(t, me)
			if got := str(me.Data, "user", "id"); got != ts.AdminID {
				t.Errorf("users.get_current_user id = %q, want %q", got, ts.AdminID)
			}
		})
	}
}

// checkSessionCookie asserts wire.md 2.6: the token in clearml_token_basic, HttpOnly,
// SameSite=Lax, Path=/.
func checkSessionCookie(t *testing.T, r *response, tok string) {
	t.Helper()
	ck := cookie(r, "clearml_token_basic")
	if ck == nil {
		t.Fatalf("no clearml_token_basic cookie in %v", r.Header.Values("Set-Cookie"))
	}
	if ck.Value != tok {
		t.Errorf("cookie value differs from the token")
	}
	if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" {
		t.Errorf("cookie = %q, want HttpOnly; SameSite=Lax; Path=/", setCookieLine(r,
			"clearml_token_basic"))
	}
	if ck.MaxAge < 0 {
		t.Errorf("cookie Max-Age = %d, want a live cookie", ck.MaxAge)
	}
}

func TestTokenClaims(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	start := time.Now().Unix()
	tok := ts.login(t, adminBasic())
	header, claims := jwtParts(t, tok)

	if header["alg"] != "HS256" {
		t.Errorf("header alg = %v, want HS256", header["alg"])
	}
	if header["typ"] != "JWT" {
		t.Errorf("header typ = %v, want JWT", header["typ"])
	}
	identityWant := map[string]string{"user": ts.AdminID, "company": ts.WS, "role": "admin",
		"user_name": "Administrator", "company_name": "Atrium"}
	for k, want := range identityWant {
		if got := str(claims, "identity", k); got != want {
			t.Errorf("identity.%s = %q, want %q", k, got, want)
		}
	}
	if claims["auth_type"] != "Bearer" {
		t.Errorf("auth_type = %v, want Bearer", claims["auth_type"])
	}
	iat, exp := claimInt(t, claims, "iat"), claimInt(t, claims, "exp")
	if iat < start-1 || iat > time.Now().Unix()+1 {
		t.Errorf("iat = %d, want about %d", iat, start)
	}
	if exp-iat != defaultTokenLifetime {
		t.Errorf("exp - iat = %d, want %d (30 days)", exp-iat, defaultTokenLifetime)
	}
	if !hex32.MatchString(str(claims, "session_id")) {
		t.Errorf("session_id = %v, want 32 hex", claims["session_id"])
	}
	if v := str(claims, "api_version"); !versionAtLeast(v, 2, 23) {
		t.Errorf("api_version = %q, want a string >= 2.23", v)
	}
	if v := str(claims, "server_version"); !regexp.MustCompile(`^\d+\.\d+\.\d+$`).MatchString(v) {
		t.Errorf("server_version = %q, want x.y.z", v)
	}
	if fs, _ := claims["feature_set"].(string); fs == "" || fs == "basic" {
		t.Errorf("feature_set = %v, want one that makes clients fetch vaults", claims["feature_set"])
	}
	for _, k := range []string{"env", "server_build"} {
		if _, ok := claims[k].(string); !ok {
			t.Errorf("claim %s = %v, want a string", k, claims[k])
		}
	}

	t.Run("session ids differ", func(t *testing.T) {
		_, other := jwtParts(t, ts.login(t, adminBasic()))
		if other["session_id"] == claims["session_id"] {
			t.Errorf("two logins share session_id %v", claims["session_id"])
		}
	})
}

func versionAtLeast(v string, major, minor int) bool {
	var a, b int
	if _, err := fmt.Sscanf(v, "%d.%d", &a, &b); err != nil {
		return false
	}
	return a > major || (a == major && b >= minor)
}

func TestLoginExpiration(t *testing.T) {
	t.Parallel()
	ts := newServer(t)

	tests := []struct {
		name string
		path string
		body string
		want int64 // exp - iat; 0 when the call must fail
	}{
		{"default", "/auth.login", "", defaultTokenLifetime},
		{"query", "/auth.login?expiration_sec=3600", "", 3600},
		{"body", "/auth.login", `{"expiration_sec": 120}`, 120},
		{"body null", "/auth.login", `{"expiration_sec": null}`, defaultTokenLifetime},
		{"maximum", "/auth.login", `{"expiration_sec": 31536000}`, maxTokenLifetime},
		{"query above maximum", "/auth.login?expiration_sec=31536001", "", 0},
		{"body above maximum", "/auth.login", `{"expiration_sec": 31536001}`, 0},
		{"negative", "/auth.login", `{"expiration_sec": -5}`, 0},
		{"huge", "/auth.login", `{"expiration_sec": 99999999999}`, 0},
		{"fraction", "/auth.login", `{"expiration_sec": 1.5}`, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := ts.do(t, req{Path: tc.path, Body: tc.body,
				Header: map[string]string{"Authorization": adminBasic()}})
			if tc.want == 0 {
				wantErr(t, r, 400, 12, "")
				if cookie(r, "clearml_token_basic") != nil {
					t.Errorf("a refused login set the session cookie")
				}
				return
			}
			wantOK(t, r)
			_, claims := jwtParts(t, str(r.Data, "token"))
			if d := claimInt(t, claims, "exp") - claimInt(t, claims, "iat"); d != tc.want {
				t.Errorf("exp - iat = %d, want %d", d, tc.want)
			}
		})
	}
}

// TestLoginExpirationOverflow: a lifetime whose nanoseconds overflow int64 must be refused
// like any other value above the maximum, not turned into a token without exp.
func TestLoginExpirationOverflow(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	for _, sec := range []int64{9223372037, 18446744074, 9223372036854775807} {
		t.Run(fmt.Sprint(sec), func(t *testing.T) {
			r := ts.call(t, "auth.login", adminBasic(), fmt.Sprintf(`{"expiration_sec": %d}`, sec))
			if r.Status == 200 {
				_, claims := jwtParts(t, str(r.Data, "token"))
				t.Fatalf("auth.login expiration_sec=%d (> 31536000) gives 200 and a token "+
					"with exp=%v, want 400/12", sec, claims["exp"])
			}
			wantErr(t, r, 400, 12, "")
		})
	}
}

func TestAuthErrors(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	adminTok := ts.login(t, adminBasic())
	p := ts.createPair(t, bearer(adminTok), "")
	_, claims := jwtParts(t, adminTok)
	header := map[string]any{"alg": "HS256", "typ": "JWT"}

	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	tests := []struct {
		name   string
		header map[string]string
		sub    int
		msg    string
	}{
		{"no credentials", nil, 20, "Unauthorized (missing credentials)"},
		{"empty authorization", map[string]string{"Authorization": ""}, 20, ""},
		{"digest scheme", map[string]string{"Authorization": "Digest x"}, 10,
			"Unauthorized (bad authentication header type)"},
		{"scheme only", map[string]string{"Authorization": "Token"}, 10, ""},
		{"basic not base64", map[string]string{"Authorization": "Basic %%%not-base64"}, 21,
			"Unauthorized (malformed credentials)"},
		{"basic without colon", map[string]string{"Authorization": "Basic " + b64("nocolon")}, 21,
			""},
		{"unknown key", map[string]string{"Authorization": basic("NOSUCHKEY0000000000000000000000",
			p.Secret)}, 22,
			"Unauthorized (invalid credentials) (failed to locate provided credentials)"},
		{"wrong secret", map[string]string{"Authorization": basic(p.Key, p.Secret+"x")}, 22,
			"Unauthorized (invalid credentials) (failed to locate provided credentials)"},
		{"empty secret", map[string]string{"Authorization": basic(p.Key, "")}, 22, ""},
		{"secret of the right length", map[string]string{"Authorization": basic(p.Key,
			strings.Repeat("A", len(p.Secret)))}, 22, ""},
		{"wrong password", map[string]string{"Authorization": basic(adminEmail, "wrong-pass")},
			22, "Unauthorized (invalid credentials) (bad username or password)"},
		{"unknown e-mail", map[string]string{"Authorization": basic("nobody@example.com",
			adminPassword)}, 22, "Unauthorized (invalid credentials) (bad username or password)"},
		{"alg none", map[string]string{"Authorization": bearer(signJWT(
			map[string]any{"alg": "none", "typ": "JWT"}, claims, nil))}, 30, "Invalid token"},
		{"another key", map[string]string{"Authorization": bearer(signJWT(header, claims,
			[]byte("not the server key")))}, 30, "reason=Signature verification failed"},
		{"tampered payload", map[string]string{"Authorization": bearer(tamper(t, adminTok))}, 30,
			"Signature verification failed"},
		{"garbage token", map[string]string{"Authorization": "Bearer garbage"}, 30,
			"Invalid token"},
		{"empty bearer", map[string]string{"Authorization": "Bearer "}, 30, ""},
		{"cross-site cookie ignored", map[string]string{
			"Cookie": "clearml_token_basic=" + adminTok, "Sec-Fetch-Site": "cross-site"}, 20,
			"missing credentials"},
		{"same-site cookie ignored", map[string]string{
			"Cookie": "clearml_token_basic=" + adminTok, "Sec-Fetch-Site": "same-site"}, 20, ""},
		{"cookie with a foreign Origin ignored", map[string]string{
			"Cookie": "clearml_token_basic=" + adminTok, "Origin": "https://evil.example"}, 20, ""},
		{"empty cookie", map[string]string{"Cookie": "clearml_token_basic="}, 20, ""},
		{"cookie without fetch metadata or Origin (an old browser's link)",
			map[string]string{"Cookie": "clearml_token_basic=" + adminTok}, 20, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, ep := range []string{"auth.login", "users.get_current_user"} {
				r := ts.do(t, req{Path: "/v2.23/" + ep, Header: tc.header})
				wantErr(t, r, 401, tc.sub, tc.msg)
				if ep == "auth.login" && cookie(r, "clearml_token_basic") != nil {
					t.Errorf("a refused login set the session cookie")
				}
			}
		})
	}

	t.Run("wrong password and unknown e-mail say the same", func(t *testing.T) {
		a := ts.call(t, "auth.login", basic(adminEmail, "wrong-pass-2"), "")
		b := ts.call(t, "auth.login", basic("ghost@example.com", "wrong-pass-2"), "")
		if a.Meta.ResultMsg != b.Meta.ResultMsg || a.Status != b.Status {
			t.Errorf("known e-mail: %s; unknown e-mail: %s; want the same answer", a, b)
		}
	})
	t.Run("alg none names the key error", func(t *testing.T) {
		tok := signJWT(map[string]any{"alg": "none", "typ": "JWT"}, claims, nil)
		r := ts.call(t, "users.get_current_user", bearer(tok), "")
		wantErr(t, r, 401, 30, "")
		if !strings.Contains(r.Meta.ResultMsg, "jwt invalid key error") {
			t.Logf("NOTE: alg none answers %q; wire.md 2.3 says \"jwt invalid key error\"",
				r.Meta.ResultMsg)
		}
	})
	t.Run("bearer ignores cross-site headers", func(t *testing.T) {
		r := ts.do(t, req{Path: "/v2.23/users.get_current_user", Header: map[string]string{
			"Authorization": bearer(adminTok), "Sec-Fetch-Site": "cross-site",
			"Origin": "https://evil.example"}})
		wantOK(t, r)
	})
	t.Run("the pair still works after failures", func(t *testing.T) {
		wantOK(t, ts.call(t, "users.get_current_user", p.basic(), ""))
	})
}

// tamper changes the user name in a token's payload but keeps its signature.
func tamper(t *testing.T, tok string) string {
	t.Helper()
	parts := strings.Split(tok, ".")
	b, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var claims map[string]any
	if err := json.Unmarshal(b, &claims); err != nil {
		t.Fatal(err)
	}
	claims["identity"].(map[string]any)["role"] = "system"
	nb, _ := json.Marshal(claims)
	return parts[0] + "." + base64.RawURLEncoding.EncodeToString(nb) + "." + parts[2]
}

// TestExpiry waits for a token and a key pair to lapse.
func TestExpiry(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	admin := bearer(ts.login(t, adminBasic()))
	short := ts.login(t, admin)
	r := ts.call(t, "auth.login", admin, `{"expiration_sec": 1}`)
	wantOK(t, r)
	shortTok := str(r.Data, "token")
	p := ts.createPair(t, admin, `{"label":"short","expiration_sec":1}`)

	wantOK(t, ts.call(t, "users.get_current_user", bearer(shortTok), ""))
	wantOK(t, ts.call(t, "users.get_current_user", p.basic(), ""))
	creds := ts.call(t, "auth.get_credentials", admin, "")
	if dig(creds.Data, "credentials", "0", "expires") == nil {
		t.Errorf("get_credentials shows no expiry for a pair created with expiration_sec")
	}
	time.Sleep(2100 * time.Millisecond)

	t.Run("token", func(t *testing.T) {
		r := ts.call(t, "users.get_current_user", bearer(shortTok), "")
		wantErr(t, r, 401, 30, "Signature has expired")
		r = ts.call(t, "auth.login", bearer(shortTok), "")
		wantErr(t, r, 401, 30, "Signature has expired")
	})
	t.Run("pair", func(t *testing.T) {
		for _, ep := range []string{"auth.login", "users.get_current_user"} {
			wantErr(t, ts.call(t, ep, p.basic(), ""), 401, 22, "Unauthorized (invalid credentials)")
		}
	})
	t.Run("others unaffected", func(t *testing.T) {
		wantOK(t, ts.call(t, "users.get_current_user", bearer(short), ""))
	})
}

func TestDeactivatedUser(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	id, pw := ts.newUser(t, "leaver@example.com", "Leaver")
	tok := ts.login(t, pw)
	p := ts.createPair(t, bearer(tok), "")
	wantOK(t, ts.call(t, "users.get_current_user", bearer(tok), ""))
	wantOK(t, ts.call(t, "users.get_current_user", p.basic(), ""))

	ts.deactivate(t, id)

	tests := []struct {
		name  string
		authz string
		sub   int
	}{
		{"token", bearer(tok), 30},
		{"key pair", p.basic(), 22},
		{"password", pw, 22},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, ep := range []string{"auth.login", "users.get_current_user"} {
				wantErr(t, ts.call(t, ep, tc.authz, ""), 401, tc.sub, "")
			}
		})
	}
	t.Run("cookie", func(t *testing.T) {
		r := ts.do(t, req{Path: "/auth.login", Header: map[string]string{
			"Cookie": "clearml_token_basic=" + tok, "Sec-Fetch-Site": "same-origin"}})
		wantErr(t, r, 401, 30, "")
	})
}

func TestLogout(t *testing.T) {
	t.Parallel()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			testLogout(t, startServer(t, t.TempDir(), b.dsn(t)))
		})
	}
}

func testLogout(t *testing.T, ts *testServer) {
	other := ts.login(t, adminBasic())
	p := ts.createPair(t, bearer(other), "")

	t.Run("auth.logout revokes the token", func(t *testing.T) {
		tok := ts.login(t, adminBasic())
		r := ts.call(t, "auth.logout", bearer(tok), "")
		wantOK(t, r)
		if len(r.Data) != 0 {
			t.Errorf("data = %s, want {}", r.Raw)
		}
		checkClearedCookie(t, r)
		for _, ep := range []string{"users.get_current_user", "auth.login", "auth.logout"} {
			wantErr(t, ts.call(t, ep, bearer(tok), ""), 401, 30, "revoked token")
		}
		cr := ts.do(t, req{Path: "/auth.login", Header: map[string]string{
			"Cookie": "clearml_token_basic=" + tok, "Sec-Fetch-Site": "same-origin"}})
		wantErr(t, cr, 401, 30, "revoked token")
	})
	t.Run("auth.logout with the cookie", func(t *testing.T) {
		tok := ts.login(t, adminBasic())
		r := ts.do(t, req{Path: "/auth.logout", Header: map[string]string{
			"Cookie": "clearml_token_basic=" + tok, "Sec-Fetch-Site": "same-origin"}})
		wantOK(t, r)
		checkClearedCookie(t, r)
		wantErr(t, ts.call(t, "users.get_current_user", bearer(tok), ""), 401, 30, "revoked")
	})
	t.Run("login.logout revokes the token", func(t *testing.T) {
		tok := ts.login(t, adminBasic())
		r := ts.call(t, "login.logout", bearer(tok), "")
		wantOK(t, r)
		checkClearedCookie(t, r)
		wantErr(t, ts.call(t, "users.get_current_user", bearer(tok), ""), 401, 30, "revoked")
	})
	t.Run("login.logout without auth", func(t *testing.T) {
		for _, h := range []map[string]string{nil, {"Authorization": "Bearer garbage"},
			{"Cookie": "clearml_token_basic=garbage"}} {
			r := ts.do(t, req{Path: "/v2.23/login.logout", Header: h})
			wantOK(t, r)
			checkClearedCookie(t, r)
		}
	})
	t.Run("auth.logout without auth is 401", func(t *testing.T) {
		wantErr(t, ts.call(t, "auth.logout", "", ""), 401, 20, "")
	})
	t.Run("other sessions keep working", func(t *testing.T) {
		wantOK(t, ts.call(t, "users.get_current_user", bearer(other), ""))
		wantOK(t, ts.call(t, "users.get_current_user", p.basic(), ""))
	})
	t.Run("logout with a key pair keeps the pair", func(t *testing.T) {
		r := ts.call(t, "auth.logout", p.basic(), "")
		wantOK(t, r)
		wantOK(t, ts.call(t, "users.get_current_user", p.basic(), ""))
	})
	t.Run("refreshed token stays in its session", func(t *testing.T) {
		// Ending a session (a stolen web session signed out from the Profile page, say)
		// must end the tokens renewed from it; key-pair logins are separate sessions.
		tok := ts.login(t, adminBasic())
		fresh := ts.login(t, bearer(tok))
		other := ts.login(t, adminBasic())
		wantOK(t, ts.call(t, "auth.logout", bearer(tok), ""))
		wantErr(t, ts.call(t, "users.get_current_user", bearer(fresh), ""), 401, 30, "revoked")
		wantOK(t, ts.call(t, "users.get_current_user", bearer(other), ""))
	})
}

// checkClearedCookie asserts that the response expires clearml_token_basic.
func checkClearedCookie(t *testing.T, r *response) {
	t.Helper()
	line := setCookieLine(r, "clearml_token_basic")
	ck := cookie(r, "clearml_token_basic")
	if ck == nil {
		t.Fatalf("no clearml_token_basic Set-Cookie; want one that clears it")
	}
	expired := ck.MaxAge < 0 || (!ck.Expires.IsZero() && ck.Expires.Before(time.Now()))
	if ck.Value != "" || !expired || ck.Path != "/" {
		t.Errorf("Set-Cookie = %q, want an empty, expired cookie on path /", line)
	}
}

func TestImpersonation(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	userID, userPw := ts.newUser(t, "target@example.com", "Target User")
	otherID, _ := ts.newUser(t, "other@example.com", "Other User")

	t.Run("admin impersonates on login", func(t *testing.T) {
		for _, hdr := range []string{"X-ClearML-Impersonate-As", "X-Trains-Impersonate-As",
			"X-Clearml-Impersonate-As"} {
			r := ts.do(t, req{Path: "/v2.5/auth.login", Header: map[string]string{
				"Authorization": adminBasic(), hdr: userID}})
			wantOK(t, r)
			tok := str(r.Data, "token")
			_, claims := jwtParts(t, tok)
			if got := str(claims, "identity", "user"); got != userID {
				t.Errorf("%s: identity.user = %q, want %q", hdr, got, userID)
			}
			if got := str(claims, "identity", "role"); got != "user" {
				t.Errorf("%s: identity.role = %q, want user", hdr, got)
			}
			me := ts.call(t, "users.get_current_user", bearer(tok), "")
			wantOK(t, me)
			if got := str(me.Data, "user", "id"); got != userID {
				t.Errorf("%s: get_current_user id = %q, want %q", hdr, got, userID)
			}
		}
	})
	t.Run("admin impersonates on a call", func(t *testing.T) {
		r := ts.do(t, req{Path: "/v2.23/users.get_current_user", Header: map[string]string{
			"Authorization": adminBasic(), "X-ClearML-Impersonate-As": userID}})
		wantOK(t, r)
		if got := str(r.Data, "user", "id"); got != userID {
			t.Errorf("user.id = %q, want %q", got, userID)
		}
	})
	t.Run("admin acts as", func(t *testing.T) {
		r := ts.do(t, req{Path: "/v2.23/users.get_current_user", Header: map[string]string{
			"Authorization": adminBasic(), "X-ClearML-Act-As": userID}})
		wantOK(t, r)
		if got := str(r.Data, "user", "id"); got != userID {
			t.Errorf("user.id = %q, want %q", got, userID)
		}
		if got := str(r.Data, "user", "role"); got != "admin" {
			t.Errorf("user.role = %q, want the caller's role admin", got)
		}
	})

	tests := []struct {
		name   string
		header map[string]string
		code   int
		sub    int
	}{
		{"plain user impersonates", map[string]string{"Authorization": userPw,
			"X-ClearML-Impersonate-As": otherID}, 400, 6},
		{"plain user acts as", map[string]string{"Authorization": userPw,
			"X-ClearML-Act-As": otherID}, 400, 6},
		{"plain user impersonates an admin", map[string]string{"Authorization": userPw,
			"X-ClearML-Impersonate-As": ts.AdminID}, 400, 6},
		{"both headers", map[string]string{"Authorization": adminBasic(),
			"X-ClearML-Impersonate-As": userID, "X-ClearML-Act-As": userID}, 400, 5},
		{"unknown user", map[string]string{"Authorization": adminBasic(),
			"X-ClearML-Impersonate-As": "0123456789abcdef0123456789abcdef"}, 400, 6},
		{"no credentials", map[string]string{"X-ClearML-Impersonate-As": userID}, 401, 20},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := ts.do(t, req{Path: "/auth.login", Header: tc.header})
			wantErr(t, r, tc.code, tc.sub, "")
		})
	}
}

func TestValidateToken(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	admin := bearer(ts.login(t, adminBasic()))
	_, userPw := ts.newUser(t, "plain@example.com", "Plain User")
	userTok := ts.login(t, userPw)
	revoked := ts.login(t, adminBasic())
	wantOK(t, ts.call(t, "auth.logout", bearer(revoked), ""))

	tests := []struct {
		name  string
		token string
		valid bool
	}{
		{"user token", userTok, true},
		{"garbage", "garbage", false},
		{"revoked", revoked, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body, _ := json.Marshal(map[string]string{"token": tc.token})
			r := ts.call(t, "auth.validate_token", admin, string(body))
			wantOK(t, r)
			if r.Data["valid"] != tc.valid {
				t.Errorf("valid = %v, want %v (%s)", r.Data["valid"], tc.valid, r.Raw)
			}
			if !tc.valid && str(r.Data, "msg") == "" {
				t.Errorf("no msg for an invalid token")
			}
		})
	}
	t.Run("missing token", func(t *testing.T) {
		wantErr(t, ts.call(t, "auth.validate_token", admin, `{}`), 400, 11, "")
	})
	t.Run("plain user refused", func(t *testing.T) {
		r := ts.call(t, "auth.validate_token", bearer(userTok), `{"token":"x"}`)
		wantErr(t, r, 403, 20, "Forbidden (not allowed for role): role=user, allowed=(")
	})
}

func TestSupportedModes(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	tok := ts.login(t, adminBasic())
	tests := []struct {
		name   string
		authz  string
		authed bool
	}{
		{"anonymous", "", false},
		{"bad token", "Bearer nope", false},
		{"token", bearer(tok), true},
		{"password", adminBasic(), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := ts.call(t, "login.supported_modes", tc.authz, `{"state":"x"}`)
			wantOK(t, r)
			if r.Data["authenticated"] != tc.authed {
				t.Errorf("authenticated = %v, want %v", r.Data["authenticated"], tc.authed)
			}
			for _, k := range []string{"basic", "sso", "sso_providers", "server_errors"} {
				if _, ok := r.Data[k]; !ok {
					t.Errorf("data.%s missing in %s", k, r.Raw)
				}
			}
		})
	}
}

// TestImpersonatorDeactivated: a token minted by impersonation carries the impersonator's
// authority, so it must stop working when the impersonator is deactivated.
func TestImpersonatorDeactivated(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	admin, err := ts.Srv.Identity.CreateUser(t.Context(), ts.WS, "second-admin@example.com",
		"Second Admin", identity.RoleAdmin, userPassword)
	if err != nil {
		t.Fatal(err)
	}
	adminID, adminPw := admin.ID, basic("second-admin@example.com", userPassword)
	targetID, _ := ts.newUser(t, "target2@example.com", "Target Two")

	r := ts.do(t, req{Path: "/auth.login", Header: map[string]string{
		"Authorization": adminPw, "X-ClearML-Impersonate-As": targetID}})
	wantOK(t, r)
	tok := str(r.Data, "token")
	wantOK(t, ts.call(t, "users.get_current_user", bearer(tok), ""))

	ts.deactivate(t, adminID)
	r = ts.call(t, "users.get_current_user", bearer(tok), "")
	if r.Status == 200 {
		t.Fatalf("a token minted by admin %s impersonating %s still works (%s) after the "+
			"admin was deactivated; want 401", adminID, targetID, r)
	}
	wantErr(t, r, 401, 30, "")
}

// TestPasswordThrottle: repeated wrong passwords slow the account down, also over the API.
func TestPasswordThrottle(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	_, pw := ts.newUser(t, "guess@example.com", "Guessed User")
	for range 6 {
		wantErr(t, ts.call(t, "auth.login", basic("guess@example.com", "wrong-guess-x"), ""),
			401, 22, "bad username or password")
	}
	r := ts.call(t, "auth.login", pw, "")
	wantErr(t, r, 401, 22, "Too many failed sign-in attempts")
	wantOK(t, ts.call(t, "auth.login", adminBasic(), "")) // other accounts are not slowed
	time.Sleep(1100 * time.Millisecond)
	wantOK(t, ts.call(t, "auth.login", pw, ""))
}

// TestNonASCIIPassword: Basic e-mail:password with a non-ASCII password, as curl (UTF-8)
// and python-requests (latin-1) encode it.
func TestNonASCIIPassword(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	const email, password = "umlaut@example.com", "Pässwort-sehr-lang-1"
	if _, err := ts.Srv.Identity.CreateUser(t.Context(), ts.WS, email, "Umlaut User",
		identity.RoleUser, password); err != nil {
		t.Fatal(err)
	}
	latin1 := []byte(email + ":")
	for _, r := range password {
		latin1 = append(latin1, byte(r))
	}
	tests := []struct {
		name    string
		payload []byte
	}{
		{"latin-1 (python-requests)", latin1},
		{"UTF-8 (curl, browsers)", []byte(email + ":" + password)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			authz := "Basic " + base64.StdEncoding.EncodeToString(tc.payload)
			r := ts.call(t, "auth.login", authz, "")
			if r.Status == 401 {
				t.Fatalf("Basic e-mail:password with a %s encoded non-ASCII password "+
					"answers %s, want 200", tc.name, r)
			}
			wantOK(t, r)
		})
	}
}
