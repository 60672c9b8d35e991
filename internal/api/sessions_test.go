package api_test

import (
	"testing"
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
	// No pause: tokens issued in the same second as the sign-out end too.
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

// TestForcedBlockUserScripts: an admin forces the preference on for everyone; users see it
// on whatever they stored, and cannot change the setting themselves.
func TestForcedBlockUserScripts(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	admin := bearer(ts.login(t, adminBasic()))
	_, userPw := ts.newUser(t, "f@example.com", "Forced User")
	user := bearer(ts.login(t, userPw))
	wantOK(t, ts.call(t, "users.set_preferences", user,
		`{"preferences":{"rootProjects.blockUserScript":false}}`))
	wantErr(t, ts.call(t, "login.set_settings", user, `{"force_block_user_scripts":true}`),
		403, 20, "")
	wantOK(t, ts.call(t, "login.set_settings", admin, `{"force_block_user_scripts":true}`))
	r := ts.call(t, "users.get_preferences", user, "")
	wantOK(t, r)
	if got := dig(r.Data, "preferences", "rootProjects", "blockUserScript"); got != true {
		t.Fatalf("blockUserScript = %v, want true while forced", got)
	}
	wantOK(t, ts.call(t, "login.set_settings", admin, `{"force_block_user_scripts":false}`))
	r = ts.call(t, "users.get_preferences", user, "")
	if got := dig(r.Data, "preferences", "rootProjects", "blockUserScript"); got != false {
		t.Fatalf("blockUserScript = %v, want the user's own false again", got)
	}
}
