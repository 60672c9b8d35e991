package web

import (
	"net/http"
	"strings"

	"atrium/internal/apperr"
)

// sessionRow is one of the user's web sessions on the Profile page.
type sessionRow struct {
	ID         string
	Device     string
	Address    string
	Method     string
	SignedIn   when
	LastActive when
	Expires    string
	Current    bool
}

// sessionRows lists the user's live web sessions, this one first.
func (w *Web) sessionRows(r *http.Request, s *session) []sessionRow {
	list, err := w.svc.Credentials.WebSessions(r.Context())
	if err != nil {
		w.log.Error("list web sessions", "error", err)
		return nil
	}
	now := w.now()
	var rows []sessionRow
	for _, ws := range list {
		row := sessionRow{ID: ws.ID, Device: describeAgent(ws.UserAgent), Address: ws.Address,
			Method: ws.Method, SignedIn: pastOf(now, ws.CreatedAt),
			LastActive: pastOf(now, ws.LastSeenAt), Expires: until(now, ws.ExpiresAt),
			Current: ws.ID == s.claims.SessionID}
		if row.Current {
			rows = append([]sessionRow{row}, rows...)
		} else {
			rows = append(rows, row)
		}
	}
	return rows
}

// endSession signs one of the user's other sessions out.
func (w *Web) endSession(rw http.ResponseWriter, r *http.Request, s *session) {
	id := r.PathValue("id")
	if id == s.claims.SessionID {
		w.fail(rw, r, s, http.StatusBadRequest, "This is your current session",
			"Use Sign out in the top bar to end the session you are using.", pathProfile)
		return
	}
	if err := w.svc.Credentials.EndWebSession(r.Context(), id); err != nil {
		if apperr.Is(err, apperr.NotFound) {
			redirectNotice(rw, r, pathProfile, "session-gone")
			return
		}
		w.serverError(rw, r, s, err)
		return
	}
	redirectNotice(rw, r, pathProfile, "session-ended")
}

// describeAgent names a browser and system from a User-Agent header, for people to
// recognise their own devices; it is a description, never a security decision.
func describeAgent(ua string) string {
	if ua == "" {
		return "Unknown device"
	}
	browser := "Unknown browser"
	for _, b := range []struct{ token, name string }{
		{"Edg/", "Edge"}, {"OPR/", "Opera"}, {"Firefox/", "Firefox"},
		{"HeadlessChrome/", "Headless Chrome"}, {"Chrome/", "Chrome"},
		{"Safari/", "Safari"}, {"curl/", "curl"}, {"python-requests/", "Python requests"},
		{"Go-http-client/", "Go HTTP client"},
	} {
		if strings.Contains(ua, b.token) {
			browser = b.name
			break
		}
	}
	system := ""
	for _, o := range []struct{ token, name string }{
		{"Android", "Android"}, {"iPhone", "iPhone"}, {"iPad", "iPad"},
		{"Windows", "Windows"}, {"Mac OS X", "macOS"}, {"CrOS", "ChromeOS"},
		{"Linux", "Linux"},
	} {
		if strings.Contains(ua, o.token) {
			system = o.name
			break
		}
	}
	if system == "" {
		return browser
	}
	return browser + " on " + system
}
