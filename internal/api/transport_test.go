package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

func TestEnvelope(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	tok := ts.login(t, adminBasic())

	tests := []struct {
		name    string
		rq      req
		code    int
		sub     int
		epName  string
		version string
	}{
		{"success", req{Path: "/v2.23/users.get_current_user",
			Header: map[string]string{"Authorization": bearer(tok)}}, 200, 0,
			"users.get_current_user", "2.23"},
		{"trx echoed", req{Path: "/v2.23/users.get_current_user",
			Header: map[string]string{"Authorization": bearer(tok), "X-ClearML-Trx": "my-trx-1"}},
			200, 0, "users.get_current_user", "2.23"},
		{"error", req{Path: "/v2.23/users.get_current_user"}, 401, 20,
			"users.get_current_user", "2.23"},
		{"error with trx", req{Path: "/v2.5/auth.get_credentials",
			Header: map[string]string{"X-ClearML-Trx": "abc"}}, 401, 20,
			"auth.get_credentials", "2.5"},
		{"no auth endpoint", req{Path: "/debug.ping"}, 200, 0, "debug.ping", "2.31"},
		{"trx needing escapes", req{Path: "/debug.ping", Header: map[string]string{
			"X-ClearML-Trx": `a"b\\c<d>&é`}}, 200, 0, "debug.ping", "2.31"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := ts.do(t, tc.rq) // do checks every meta field
			if r.Status != tc.code || r.Meta.ResultSubcode != tc.sub {
				t.Errorf("got %s, want %d/%d", r, tc.code, tc.sub)
			}
			if r.Meta.Endpoint.Name != tc.epName {
				t.Errorf("endpoint.name = %q, want %q", r.Meta.Endpoint.Name, tc.epName)
			}
			if r.Meta.Endpoint.RequestedVersion != tc.version {
				t.Errorf("requested_version = %q, want %q", r.Meta.Endpoint.RequestedVersion,
					tc.version)
			}
			if r.Meta.Endpoint.ActualVersion == "" {
				t.Errorf("actual_version is empty")
			}
			if got := r.Header.Get("Server"); got != "clearml" {
				t.Errorf("Server header = %q, want clearml", got)
			}
		})
	}

	t.Run("trx from X-Trains-Trx", func(t *testing.T) {
		r := ts.do(t, req{Path: "/debug.ping", Header: map[string]string{"X-Trains-Trx": "t-1"}})
		if r.Meta.Trx != "t-1" {
			t.Errorf("meta.trx = %q, want t-1", r.Meta.Trx)
		}
	})
	t.Run("ids differ per call", func(t *testing.T) {
		a := ts.do(t, req{Path: "/debug.ping"})
		b := ts.do(t, req{Path: "/debug.ping"})
		if a.Meta.ID == b.Meta.ID {
			t.Errorf("two calls share meta.id %q", a.Meta.ID)
		}
	})
}

func TestPaths(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	tok := ts.login(t, adminBasic())
	auth := map[string]string{"Authorization": bearer(tok)}

	tests := []struct {
		name    string
		path    string
		header  map[string]string
		code    int
		sub     int
		msg     string
		version string
	}{
		{"unversioned", "/users.get_current_user", auth, 200, 0, "", "2.31"},
		{"v2.23", "/v2.23/users.get_current_user", auth, 200, 0, "", "2.23"},
		{"v2.5", "/v2.5/users.get_current_user", auth, 200, 0, "", "2.5"},
		{"v1.0", "/v1.0/users.get_current_user", auth, 200, 0, "", "1.0"},
		{"api prefix", "/api/v2.23/users.get_current_user", auth, 200, 0, "", "2.23"},
		{"api prefix unversioned", "/api/users.get_current_user", auth, 200, 0, "", "2.31"},
		{"trailing slash", "/v2.23/users.get_current_user/", auth, 200, 0, "", "2.23"},
		{"version above max", "/v9.99/users.get_current_user", auth, 200, 0, "", "9.99"},
		{"version without minor", "/v2/users.get_current_user", auth, 400, 0,
			"Invalid request path /v2/users.get_current_user", ""},
		{"no action", "/users", auth, 400, 0, "Invalid request path /users", ""},
		{"one-letter action", "/users.x", auth, 400, 0, "Invalid request path /users.x", ""},
		{"three parts", "/a.b.c", auth, 400, 0, "Invalid request path", ""},
		{"unknown endpoint", "/v2.23/nosuch.endpoint", auth, 404, 0,
			"Unable to find endpoint for name nosuch.endpoint and version 2.23", "2.23"},
		{"unknown endpoint without credentials", "/v2.23/nosuch.get_all", nil, 404, 0,
			"Unable to find endpoint for name nosuch.get_all and version 2.23", "2.23"},
		{"unknown endpoint with bad credentials", "/v2.5/nosuch.queues",
			map[string]string{"Authorization": "Bearer junk"}, 404, 0,
			"Unable to find endpoint for name nosuch.queues and version 2.5", "2.5"},
		{"unknown endpoint unversioned", "/nosuch.register", nil, 404, 0,
			"Unable to find endpoint for name nosuch.register and version 2.31", "2.31"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := ts.do(t, req{Path: tc.path, Header: tc.header})
			wantErr(t, r, tc.code, tc.sub, tc.msg)
			if tc.version != "" && r.Meta.Endpoint.RequestedVersion != tc.version {
				t.Errorf("requested_version = %q, want %q", r.Meta.Endpoint.RequestedVersion,
					tc.version)
			}
		})
	}
}

func TestMethods(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	tok := ts.login(t, adminBasic())

	var first map[string]any
	for _, method := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
		t.Run(method, func(t *testing.T) {
			r := ts.do(t, req{Method: method, Path: "/v2.23/users.get_current_user",
				Body: `{"method":"get"}`, Header: map[string]string{"Authorization": bearer(tok),
					"Content-Type": "application/json"}})
			wantOK(t, r)
			if first == nil {
				first = r.Data
			} else if !reflect.DeepEqual(r.Data, first) {
				t.Errorf("data = %v, want the same as GET: %v", r.Data, first)
			}
		})
	}

	t.Run("OPTIONS preflight", func(t *testing.T) {
		r := ts.do(t, req{Method: http.MethodOptions, Path: "/v2.23/users.get_current_user",
			Header: map[string]string{"Origin": "https://app.example.org",
				"Access-Control-Request-Method":  "POST",
				"Access-Control-Request-Headers": "authorization,content-type"}})
		if r.Status != http.StatusOK {
			t.Errorf("status = %d, want 200", r.Status)
		}
		if len(r.Raw) != 0 {
			t.Errorf("body = %q, want empty", r.Raw)
		}
		if got := r.Header.Get("Access-Control-Allow-Origin"); got != "https://app.example.org" {
			t.Errorf("Access-Control-Allow-Origin = %q, want the Origin", got)
		}
		if got := r.Header.Get("Access-Control-Allow-Headers"); !strings.Contains(got,
			"authorization") {
			t.Errorf("Access-Control-Allow-Headers = %q, want the requested ones", got)
		}
	})
	t.Run("CORS on a call", func(t *testing.T) {
		r := ts.do(t, req{Path: "/v2.23/users.get_current_user", Header: map[string]string{
			"Authorization": bearer(tok), "Origin": "https://app.example.org"}})
		wantOK(t, r)
		if got := r.Header.Get("Access-Control-Allow-Origin"); got != "https://app.example.org" {
			t.Errorf("Access-Control-Allow-Origin = %q, want the Origin", got)
		}
	})
	t.Run("CORS credentials only for own origin", func(t *testing.T) {
		own := ts.do(t, req{Path: "/debug.ping", Header: map[string]string{"Origin": ts.URL}})
		if got := own.Header.Get("Access-Control-Allow-Credentials"); got != "true" {
			t.Errorf("own origin: Allow-Credentials = %q, want true", got)
		}
		other := ts.do(t, req{Path: "/debug.ping",
			Header: map[string]string{"Origin": "https://evil.example"}})
		if got := other.Header.Get("Access-Control-Allow-Credentials"); got != "" {
			t.Errorf("other origin: Allow-Credentials = %q, want none", got)
		}
	})
}

func TestRequestBodies(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	tok := ts.login(t, adminBasic())
	hdr := map[string]string{"Authorization": bearer(tok), "Content-Type": "application/json"}

	tests := []struct {
		name string
		rq   req
		code int
		sub  int
		msg  string
	}{
		{"malformed JSON", req{Path: "/v2.23/users.get_current_user", Body: `{"a":`,
			Header: hdr}, 400, 12, "Invalid request body"},
		{"malformed JSON on a no-auth endpoint", req{Path: "/debug.ping", Body: `{oops}`},
			400, 12, "Invalid request body"},
		{"JSON array body", req{Path: "/v2.23/auth.get_credentials", Body: `[1,2]`,
			Header: hdr}, 400, 12, ""},
		{"JSON string body", req{Path: "/v2.23/auth.get_credentials", Body: `"x"`,
			Header: hdr}, 400, 12, ""},
		{"two objects", req{Path: "/debug.ping", Body: `{} {}`}, 400, 12, ""},
		{"wrong field type", req{Method: "POST", Path: "/v2.23/auth.create_credentials",
			Body: `{"label": 5}`, Header: hdr}, 400, 12, "label"},
		{"wrong type for expiration_sec", req{Path: "/auth.login", Body: `{"expiration_sec":"x"}`,
			Header: hdr}, 400, 12, ""},
		{"missing required access_key", req{Path: "/v2.23/auth.revoke_credentials", Body: `{}`,
			Header: hdr}, 400, 11, "Missing required fields"},
		{"missing required user", req{Path: "/v2.23/users.get_by_id", Body: `{}`,
			Header: hdr}, 400, 11, "Missing required fields"},
		{"null body is {}", req{Path: "/v2.23/auth.get_credentials", Body: `null`,
			Header: hdr}, 200, 0, ""},
		{"empty body", req{Path: "/v2.23/auth.get_credentials", Header: hdr}, 200, 0, ""},
		{"whitespace body", req{Path: "/v2.23/debug.ping", Body: " \n\t ",
			Header: hdr}, 200, 0, ""},
		{"JSON with any content type", req{Path: "/v2.23/auth.get_credentials", Body: `{}`,
			Header: map[string]string{"Authorization": bearer(tok), "Content-Type": "text/plain"}},
			200, 0, ""},
		{"JSON without content type", req{Path: "/debug.ping", Body: `{"k":"v"}`}, 200, 0, ""},
		{"unknown keys ignored", req{Path: "/v2.23/auth.get_credentials",
			Body: `{"method":"get","whatever":[1,{"x":null}]}`, Header: hdr}, 200, 0, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantErr(t, ts.do(t, tc.rq), tc.code, tc.sub, tc.msg)
		})
	}

	t.Run("wrong field type stores nothing", func(t *testing.T) {
		r := ts.call(t, "auth.get_credentials", bearer(tok), "")
		if n := len(list(r.Data, "credentials")); n != 0 {
			t.Errorf("credentials after rejected creates = %d, want 0", n)
		}
	})
}

// TestWhitespaceBody: a body of only whitespace is an empty body, {} (wire.md 1.3), on
// every endpoint, also those that decode fields.
func TestWhitespaceBody(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	tok := ts.login(t, adminBasic())
	for _, ep := range []string{"debug.ping", "auth.get_credentials", "auth.login",
		"users.get_all", "users.get_current_user"} {
		t.Run(ep, func(t *testing.T) {
			for _, body := range []string{" ", "\n", "\r\n"} {
				r := ts.do(t, req{Path: "/v2.23/" + ep, Body: body, Header: map[string]string{
					"Authorization": bearer(tok), "Content-Type": "application/json"}})
				if r.Status == 400 {
					t.Fatalf("%s with body %q answers %s, want 200 (empty body is {})", ep,
						body, r)
				}
				wantOK(t, r)
			}
		})
	}
}

func TestContentEncodingRefused(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	for _, enc := range []string{"gzip", "deflate", "br", "identity"} {
		t.Run(enc, func(t *testing.T) {
			r := ts.do(t, req{Method: "POST", Path: "/v2.23/auth.login", Body: "xx",
				Header: map[string]string{"Content-Encoding": enc, "Authorization": adminBasic()}})
			if r.Status != http.StatusUnsupportedMediaType {
				t.Errorf("status = %d, want 415", r.Status)
			}
			want := fmt.Sprintf("Content encoding is not supported (%s)", enc)
			if got := strings.TrimSpace(string(r.Raw)); got != want {
				t.Errorf("body = %q, want %q", got, want)
			}
			if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
				t.Errorf("Content-Type = %q, want text/plain", ct)
			}
		})
	}
}

func TestBodyLimit(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	const limit = 15 << 20

	t.Run("over 15 MiB refused", func(t *testing.T) {
		body := `{"pad":"` + strings.Repeat("a", limit) + `"}`
		r := ts.do(t, req{Method: "POST", Path: "/debug.ping", Body: body})
		wantErr(t, r, http.StatusRequestEntityTooLarge, 0, "too large")
	})
	t.Run("just under the limit accepted", func(t *testing.T) {
		body := `{"pad":"` + strings.Repeat("a", limit-20) + `"}`
		r := ts.do(t, req{Method: "POST", Path: "/debug.ping", Body: body})
		wantOK(t, r)
	})
}

func TestQueryMerge(t *testing.T) {
	t.Parallel()
	ts := newServer(t)

	tests := []struct {
		name  string
		query string
		body  string
		want  string // JSON object the echo must contain
	}{
		{"vault query of the SDK", "enabled=true&types=config&types=config", "",
			`{"enabled":true,"types":["config","config"]}`},
		{"boolean variants", "a=True&b=TRUE&c=false&d=False", "",
			`{"a":true,"b":true,"c":false,"d":false}`},
		{"list from brackets", "ids[]=x", "", `{"ids":["x"]}`},
		{"list from brackets repeated", "ids[]=x&ids[]=7", "", `{"ids":["x",7]}`},
		{"dotted keys nest", "a.b=1&a.c.d=x", "", `{"a":{"b":1,"c":{"d":"x"}}}`},
		{"digit strings become numbers", "n=42&f=1.5&neg=-3&big=007", "",
			`{"n":42,"f":1.5,"neg":-3,"big":7}`},
		{"plain strings stay", "s=abc&e=&h=1e5x", "", `{"s":"abc","e":"","h":"1e5x"}`},
		{"merged with body", "q=1", `{"b":"body"}`, `{"q":1,"b":"body"}`},
		{"query wins over body", "k=query", `{"k":"body"}`, `{"k":"query"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := ts.do(t, req{Path: "/debug.ping?" + tc.query, Body: tc.body})
			wantOK(t, r)
			var want map[string]any
			if err := json.Unmarshal([]byte(tc.want), &want); err != nil {
				t.Fatal(err)
			}
			for k, v := range want {
				if !reflect.DeepEqual(r.Data[k], v) {
					t.Errorf("echo[%q] = %#v, want %#v (data %s)", k, r.Data[k], v, r.Raw)
				}
			}
			if r.Data["msg"] != "ClearML server" {
				t.Errorf("msg = %v, want ClearML server", r.Data["msg"])
			}
		})
	}

	t.Run("expiration_sec in the query reaches auth.login", func(t *testing.T) {
		r := ts.do(t, req{Path: "/auth.login?expiration_sec=600",
			Header: map[string]string{"Authorization": adminBasic()}})
		wantOK(t, r)
		_, claims := jwtParts(t, str(r.Data, "token"))
		if d := claimInt(t, claims, "exp") - claimInt(t, claims, "iat"); d != 600 {
			t.Errorf("exp - iat = %d, want 600", d)
		}
	})
	t.Run("form body merged", func(t *testing.T) {
		r := ts.do(t, req{Method: "POST", Path: "/debug.ping", Body: "x=1&y=yes",
			Header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}})
		wantOK(t, r)
		if r.Data["x"] != float64(1) || r.Data["y"] != "yes" {
			t.Errorf("echo = %s, want x=1 and y=yes", r.Raw)
		}
	})
}

func TestJSONLines(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	lines := map[string]string{"Content-Type": "application/json-lines"}

	tests := []struct {
		name string
		body string
		code int
		sub  int
	}{
		{"two objects", "{\"a\":1,\"method\":\"get\"}\n{\"b\":2}\n", 200, 0},
		{"blank lines skipped", "\n{\"a\":1}\n\n  \n{\"b\":2}", 200, 0},
		{"CRLF", "{\"a\":1}\r\n{\"b\":2}\r\n", 200, 0},
		{"empty", "", 200, 0},
		// Lines are checked by the endpoint that reads them (events.add_batch counts bad
		// ones as errors); an endpoint that ignores lines accepts them.
		{"a line that is not JSON", "{\"a\":1}\nnope\n", 200, 0},
		{"a line that is an array", "[1]\n", 200, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := ts.do(t, req{Method: "POST", Path: "/v2.23/debug.ping", Body: tc.body,
				Header: lines})
			wantErr(t, r, tc.code, tc.sub, "")
		})
	}
}

func TestGzipResponses(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	tok := ts.login(t, adminBasic())
	for i := range 30 {
		ts.newUserNoPassword(t, fmt.Sprintf("gz%02d@example.com", i),
			fmt.Sprintf("Gzip User Number %02d", i))
	}

	tests := []struct {
		name     string
		endpoint string
		accept   string
		wantGzip bool
	}{
		{"large, gzip asked", "users.get_all", "gzip, deflate", true},
		{"large, gzip with q", "users.get_all", "deflate, gzip;q=0.5", true},
		{"large, gzip refused", "users.get_all", "gzip;q=0", false},
		{"large, not asked", "users.get_all", "", false},
		{"small, gzip asked", "server.info", "gzip, deflate", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := map[string]string{"Authorization": bearer(tok)}
			if tc.accept != "" {
				h["Accept-Encoding"] = tc.accept
			}
			r := ts.do(t, req{Path: "/v2.23/" + tc.endpoint, Header: h})
			wantOK(t, r)
			if r.Gzipped != tc.wantGzip {
				t.Errorf("gzipped = %v, want %v (%d bytes)", r.Gzipped, tc.wantGzip, len(r.Raw))
			}
			if tc.endpoint == "users.get_all" && len(list(r.Data, "users")) != 31 {
				t.Errorf("users = %d, want 31", len(list(r.Data, "users")))
			}
		})
	}
}
