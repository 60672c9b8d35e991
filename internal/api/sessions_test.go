package api_test

import (
	"testing"
	"time"
)

// TestSignOutEverywhere: every earlier token of the caller dies, the answer's token works,
// and a pair's Basic access is untouched (pairs are revoked one by one).
func TestSignOutEverywhere(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	_, userPw := ts.newUser(t, "s@example.com", "Session User")
	laptop := ts.login(t, userPw)
	phone := ts.login(t, userPw)
	pair := ts.createPair(t, bearer(laptop), "")
	time.Sleep(1100 * time.Millisecond) // tokens carry whole seconds
	r := ts.call(t, "auth.sign_out_everywhere", bearer(phone), "")
	wantOK(t, r)
	fresh, _ := r.Data["token"].(string)
	for _, tok := range []string{laptop, phone} {
		wantErr(t, ts.call(t, "users.get_current_user", bearer(tok), ""), 401, 30,
			"session ended")
		wantErr(t, ts.call(t, "auth.login", bearer(tok), ""), 401, 30, "")
	}
	wantOK(t, ts.call(t, "users.get_current_user", bearer(fresh), ""))
	wantOK(t, ts.call(t, "users.get_current_user", pair.basic(), ""))
}
