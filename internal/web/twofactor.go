package web

import (
	"encoding/base64"
	"encoding/json"
	"html/template"
	"net/http"
	"strings"
	"time"

	qrcode "github.com/skip2/go-qrcode"

	"atrium/internal/apperr"
	"atrium/internal/identity"
	"atrium/internal/secret"
	"atrium/internal/webauth"
)

// Two-factor pages: the Profile section, the enrolment page, the recovery codes shown
// once, the second step of a password sign-in, and the admin reset on the Users page.
const (
	pathTwoFactor  = pathProfile + "/two-factor"
	pathSecondStep = pathLogin + "/two-factor"

	tmplTwoFactorSetup  = "twofactor_setup"
	tmplTwoFactorCodes  = "twofactor_codes"
	tmplTwoFactorSignIn = "twofactor_signin"

	// twoFactorInclude is the Profile section, parsed with the Profile page.
	twoFactorInclude = "templates/twofactor_section.html"
)

// twoFactorPageNames are the pages of this file, parsed with the others at start-up.
var twoFactorPageNames = []string{tmplTwoFactorSetup, tmplTwoFactorCodes, tmplTwoFactorSignIn}

// pendingCookie carries a sign-in whose password was right while its code is still due.
// It is sealed (the browser can neither read nor forge it), lives five minutes, and is
// bound to the user's password hash and session floor, so a password change or "sign out
// everywhere" in the meantime ends it. Its value is also the double-submit secret of the
// second step's form, as the login cookie is for the first.
const (
	pendingCookie  = "atrium_2fa"
	pendingTTL     = 5 * time.Minute
	pendingContext = "web_two_factor_pending"
)

// secondStepDue is signIn's status when the password was right and a code is still due.
const secondStepDue = -1

func (w *Web) twoFactorRoutes() []route {
	return []route{
		{"GET " + pathTwoFactor, w.page(w.twoFactorSetupPage)},
		{"POST " + pathTwoFactor + "/setup", w.action(w.startTwoFactor)},
		{"POST " + pathTwoFactor + "/confirm", w.action(w.confirmTwoFactor)},
		{"POST " + pathTwoFactor + "/disable", w.action(w.disableTwoFactor)},
		{"POST " + pathTwoFactor + "/recovery-codes", w.action(w.regenerateRecoveryCodes)},
		{"GET " + pathSecondStep, http.HandlerFunc(w.secondStepPage)},
		{"POST " + pathSecondStep, http.HandlerFunc(w.secondStep)},
		{"GET " + pathUsers + "/{id}/reset-two-factor", w.adminPage(w.resetTwoFactorPage)},
		{"POST " + pathUsers + "/{id}/reset-two-factor", w.adminAction(w.resetTwoFactor)},
	}
}

// twoFactorSection is the Profile page's two-factor card.
type twoFactorSection struct {
	Available      bool
	Enabled        bool
	Since          string
	RecoveryLeft   int
	CSRF           string
	Email          string
	DisableErrors  fieldErrors
	RecoveryErrors fieldErrors
}

// twoFactorSection loads the caller's state; a failure is logged and hides the card.
func (w *Web) twoFactorSection(r *http.Request, s *session) twoFactorSection {
	st, err := w.svc.Identity.TwoFactorState(r.Context())
	if err != nil {
		w.log.Error("two-factor state", "error", err)
		return twoFactorSection{}
	}
	v := twoFactorSection{Available: st.Available, Enabled: st.Enabled,
		RecoveryLeft: st.RecoveryLeft, CSRF: s.csrf, Email: s.principal.Email,
		DisableErrors: fieldErrors{}, RecoveryErrors: fieldErrors{}}
	if st.Enabled {
		v.Since = st.Since.UTC().Format("2 January 2006")
	}
	return v
}

// twoFactorSetupView is the enrolment page: the secret as text and as a QR code, and the
// form that confirms a first code.
type twoFactorSetupView struct {
	chrome
	Secret string       // in groups of four, as people type it
	URI    template.URL // otpauth:// for apps on this device
	QR     template.URL // data:image/png of the URI
	QRSize int          // its width and height in pixels
	Errors fieldErrors
}

func (w *Web) twoFactorSetupPage(rw http.ResponseWriter, r *http.Request, s *session) {
	w.showSetup(rw, r, s, http.StatusOK, fieldErrors{})
}

func (w *Web) showSetup(rw http.ResponseWriter, r *http.Request, s *session, status int,
	errs fieldErrors) {
	e, ok, err := w.svc.Identity.PendingTwoFactor(r.Context())
	if apperr.Is(err, apperr.Forbidden) || (err == nil && !ok) {
		http.Redirect(rw, r, pathProfile+"#two-factor-heading", http.StatusSeeOther)
		return
	}
	if err != nil {
		w.serverError(rw, r, s, err)
		return
	}
	qr, size, err := qrDataURI(e.URI)
	if err != nil {
		w.serverError(rw, r, s, err)
		return
	}
	v := twoFactorSetupView{chrome: w.chrome(r, s, "Profile", pathProfile),
		Secret: groupsOfFour(e.Secret), Errors: errs, QR: qr, QRSize: size}
	if strings.HasPrefix(e.URI, "otpauth://totp/") {
		v.URI = template.URL(e.URI) // built by the server from the key and the e-mail
	}
	v.Subtitle = "Set up two-factor authentication"
	w.render(rw, r, status, tmplTwoFactorSetup, v)
}

// qrPixelsPerModule keeps every module of the QR code the same whole number of pixels, so
// the code stays sharp for the camera.
const qrPixelsPerModule = 4

// qrDataURI renders text as a QR code PNG in a data: URI (the CSP allows data: images).
func qrDataURI(text string) (template.URL, int, error) {
	q, err := qrcode.New(text, qrcode.Medium)
	if err != nil {
		return "", 0, err
	}
	size := len(q.Bitmap()) * qrPixelsPerModule
	png, err := q.PNG(size)
	if err != nil {
		return "", 0, err
	}
	uri := "data:image/png;base64," + base64.StdEncoding.EncodeToString(png)
	return template.URL(uri), size, nil // our own base64: safe as a URL
}

func groupsOfFour(s string) string {
	var b strings.Builder
	for i, c := range s {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func (w *Web) startTwoFactor(rw http.ResponseWriter, r *http.Request, s *session) {
	if _, err := w.svc.Identity.BeginTwoFactor(r.Context()); err != nil {
		w.twoFactorRefused(rw, r, s, err)
		return
	}
	http.Redirect(rw, r, pathTwoFactor, http.StatusSeeOther)
}

// twoFactorRefused shows a refusal that has no field on the page (already on, a user
// without a password) on the Profile page.
func (w *Web) twoFactorRefused(rw http.ResponseWriter, r *http.Request, s *session,
	err error) {
	errs, status := w.formFailure(r, err, nil)
	w.profileError(rw, r, s, status, func(v *profileView) {
		v.TwoFactor.DisableErrors = errs
	})
}

func (w *Web) confirmTwoFactor(rw http.ResponseWriter, r *http.Request, s *session) {
	code := strings.TrimSpace(r.PostForm.Get("code"))
	password := r.PostForm.Get("password")
	errs := fieldErrors{}
	if password == "" {
		errs["password"] = "Enter your password."
	}
	if code == "" {
		errs["code"] = "Enter the 6-digit code from your app."
	}
	if len(errs) > 0 {
		w.showSetup(rw, r, s, http.StatusBadRequest, errs)
		return
	}
	codes, err := w.svc.Identity.ConfirmTwoFactor(r.Context(), password, code)
	if err != nil {
		errs, status := w.formFailure(r, err, map[string]string{"code": "code",
			"password": "password"})
		w.showSetup(rw, r, s, status, errs)
		return
	}
	// Whoever else holds a session of this account (a stolen cookie, say) is signed out;
	// this browser continues in a fresh session.
	if err := w.svc.Identity.SignOutEverywhere(r.Context()); err != nil {
		w.serverError(rw, r, s, err)
		return
	}
	if !w.startSession(rw, r, s.principal.WorkspaceID, s.principal.UserID,
		"password and code") {
		return
	}
	w.showRecoveryCodes(rw, r, s, codes, false)
}

// twoFactorCodesView shows recovery codes, once.
type twoFactorCodesView struct {
	chrome
	Codes       []string
	Regenerated bool
}

func (w *Web) showRecoveryCodes(rw http.ResponseWriter, r *http.Request, s *session,
	codes []string, regenerated bool) {
	v := twoFactorCodesView{chrome: w.chrome(r, s, "Profile", pathProfile), Codes: codes,
		Regenerated: regenerated}
	v.Subtitle = "Recovery codes"
	w.render(rw, r, http.StatusOK, tmplTwoFactorCodes, v)
}

func (w *Web) disableTwoFactor(rw http.ResponseWriter, r *http.Request, s *session) {
	password, code := r.PostForm.Get("password"), strings.TrimSpace(r.PostForm.Get("code"))
	errs := fieldErrors{}
	if password == "" {
		errs["password"] = "Enter your password."
	}
	if code == "" {
		errs["code"] = "Enter a code from your app or a recovery code."
	}
	status := http.StatusBadRequest
	if len(errs) == 0 {
		err := w.svc.Identity.DisableTwoFactor(r.Context(), password, code)
		if err == nil {
			redirectNotice(rw, r, pathProfile, "two-factor-off")
			return
		}
		errs, status = w.formFailure(r, err, map[string]string{"password": "password",
			"code": "code"})
		if status == http.StatusBadRequest && apperr.Is(err, apperr.Unauthenticated) {
			status = http.StatusTooManyRequests
		}
	}
	w.profileError(rw, r, s, status, func(v *profileView) { v.TwoFactor.DisableErrors = errs })
}

func (w *Web) regenerateRecoveryCodes(rw http.ResponseWriter, r *http.Request, s *session) {
	password := r.PostForm.Get("password")
	if password == "" {
		w.profileError(rw, r, s, http.StatusBadRequest, func(v *profileView) {
			v.TwoFactor.RecoveryErrors = fieldErrors{"password": "Enter your password."}
		})
		return
	}
	codes, err := w.svc.Identity.RegenerateRecoveryCodes(r.Context(), password)
	if err != nil {
		errs, status := w.formFailure(r, err, map[string]string{"password": "password"})
		w.profileError(rw, r, s, status, func(v *profileView) { v.TwoFactor.RecoveryErrors = errs })
		return
	}
	w.showRecoveryCodes(rw, r, s, codes, true)
}

// pendingSignIn is the sealed content of the pending cookie.
type pendingSignIn struct {
	WorkspaceID string `json:"w"`
	UserID      string `json:"u"`
	Binding     string `json:"b"` // keyed hash of the password hash and the session floor
	Expires     int64  `json:"e"`
	Next        string `json:"n,omitempty"`
}

// beginSecondStep sets the pending cookie after a right password; login then sends the
// browser to the second step.
func (w *Web) beginSecondStep(rw http.ResponseWriter, r *http.Request, u identity.User) (
	int, string) {
	p := pendingSignIn{WorkspaceID: u.WorkspaceID, UserID: u.ID, Binding: w.pendingBinding(u),
		Expires: w.now().Add(pendingTTL).Unix(), Next: safeNext(r.PostForm.Get("next"))}
	raw, err := json.Marshal(p)
	if err != nil {
		return w.signInFailure(r, err)
	}
	http.SetCookie(rw, w.pendingCookie(w.svc.Keys.Seal(raw, pendingContext), int(
		pendingTTL/time.Second)))
	return secondStepDue, ""
}

func (w *Web) pendingBinding(u identity.User) string {
	return w.svc.Keys.Hash("two-factor-pending", u.ID+"\x00"+u.PasswordHash+"\x00"+
		u.SessionsValidAfter.UTC().Format(time.RFC3339Nano))
}

func (w *Web) pendingCookie(value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: pendingCookie, Value: value, Path: pathLogin, MaxAge: maxAge,
		HttpOnly: true, Secure: w.opts.SecureCookies, SameSite: http.SameSiteStrictMode}
}

// pending reads the pending cookie; ok is false when it is missing, forged or expired.
func (w *Web) pending(r *http.Request) (p pendingSignIn, value string, ok bool) {
	ck, err := r.Cookie(pendingCookie)
	if err != nil || ck.Value == "" {
		return p, "", false
	}
	raw, err := w.svc.Keys.Open(ck.Value, pendingContext)
	if err != nil || json.Unmarshal(raw, &p) != nil || w.now().Unix() >= p.Expires {
		return p, "", false
	}
	return p, ck.Value, true
}

// secondStepView is the page asking for a code after a right password.
type secondStepView struct {
	chrome
	Token  string
	Errors fieldErrors
}

func (w *Web) secondStepPage(rw http.ResponseWriter, r *http.Request) {
	_, value, ok := w.pending(r)
	if !ok {
		w.restartSignIn(rw, r)
		return
	}
	w.showSecondStep(rw, r, http.StatusOK, value, fieldErrors{})
}

func (w *Web) showSecondStep(rw http.ResponseWriter, r *http.Request, status int,
	value string, errs fieldErrors) {
	v := secondStepView{chrome: w.chrome(r, nil, "Two-factor authentication", ""),
		Token: w.svc.Keys.Hash("two-factor-csrf", value), Errors: errs}
	w.render(rw, r, status, tmplTwoFactorSignIn, v)
}

// restartSignIn sends a browser without a usable pending sign-in back to the password.
func (w *Web) restartSignIn(rw http.ResponseWriter, r *http.Request) {
	http.SetCookie(rw, w.pendingCookie("", -1))
	w.showLogin(rw, r, http.StatusBadRequest, "", "", fieldErrors{
		"": "Your sign-in took too long or was interrupted. Sign in again."})
}

// secondStep checks the code and only then issues the session.
func (w *Web) secondStep(rw http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(rw, r.Body, maxForm)
	if !w.sameOrigin(r) || r.ParseForm() != nil {
		w.forbidden(rw, r, nil)
		return
	}
	p, value, ok := w.pending(r)
	if !ok {
		w.restartSignIn(rw, r)
		return
	}
	if !secret.Equal(r.PostForm.Get("csrf"), w.svc.Keys.Hash("two-factor-csrf", value)) {
		w.forbidden(rw, r, nil)
		return
	}
	code := strings.TrimSpace(r.PostForm.Get("code"))
	if code == "" {
		w.showSecondStep(rw, r, http.StatusBadRequest, value,
			fieldErrors{"code": "Enter the code from your app, or a recovery code."})
		return
	}
	u, err := w.svc.Identity.UserByID(r.Context(), p.WorkspaceID, p.UserID)
	if err != nil || u.Status != identity.StatusActive || !u.TwoFactorEnabled() ||
		!secret.Equal(w.pendingBinding(u), p.Binding) {
		w.restartSignIn(rw, r)
		return
	}
	_, err = w.svc.Identity.VerifySecondFactor(r.Context(), u.WorkspaceID, u.ID, code,
		webauth.ClientAddr(r))
	if err != nil {
		w.secondStepRefused(rw, r, value, err)
		return
	}
	if !w.startSession(rw, r, u.WorkspaceID, u.ID, "password and code") {
		return
	}
	http.SetCookie(rw, w.pendingCookie("", -1))
	http.SetCookie(rw, w.loginCookie("", -1))
	http.Redirect(rw, r, orDefault(p.Next, pathProfile), http.StatusSeeOther)
}

// secondStepRefused shows a wrong code next to the field and throttling above the form.
func (w *Web) secondStepRefused(rw http.ResponseWriter, r *http.Request, value string,
	err error) {
	if apperr.Is(err, apperr.Invalid) {
		w.showSecondStep(rw, r, http.StatusBadRequest, value,
			fieldErrors{"code": apperr.As(err).Msg + "."})
		return
	}
	status, msg := w.signInFailure(r, err)
	w.showSecondStep(rw, r, status, value, fieldErrors{"": msg})
}

func (w *Web) resetTwoFactorPage(rw http.ResponseWriter, r *http.Request, s *session) {
	u, ok := w.pathPerson(rw, r, s)
	if !ok {
		return
	}
	w.showConfirm(rw, r, s, http.StatusOK, pathUsers, resetTwoFactorConfirmation(u),
		pathUsers, "")
}

func (w *Web) resetTwoFactor(rw http.ResponseWriter, r *http.Request, s *session) {
	u, ok := w.pathPerson(rw, r, s)
	if !ok {
		return
	}
	if u.ID == s.principal.UserID {
		// Turning one's own off asks for the password and a code, on Profile.
		w.showConfirm(rw, r, s, http.StatusBadRequest, pathUsers, resetTwoFactorConfirmation(u),
			pathUsers, "To turn off your own two-factor sign-in, use your Profile page.")
		return
	}
	if err := w.svc.Identity.ResetTwoFactor(r.Context(), u.ID); err != nil {
		msg, status := w.refusal(r, err)
		w.showConfirm(rw, r, s, status, pathUsers, resetTwoFactorConfirmation(u), pathUsers,
			msg)
		return
	}
	redirectWith(rw, r, pathUsers, "two-factor-reset", usersBack(r))
}

func resetTwoFactorConfirmation(u identity.UserRow) confirmation {
	return confirmation{Action: pathUsers + "/" + u.ID + "/reset-two-factor",
		Heading: "Reset two-factor authentication of " + u.Name + "?",
		Message: u.Name + " will sign in with the password alone until they set up " +
			"two-factor authentication again. Do this only when you are sure who asked: " +
			"someone who lost both their authenticator app and their recovery codes.",
		Button: "Reset two-factor"}
}

// twoFactorNoticeText is noticeText for this file's redirects.
func twoFactorNoticeText(code string) string {
	switch code {
	case "two-factor-off":
		return "Two-factor authentication is off. You sign in with your password alone."
	case "two-factor-reset":
		return "Two-factor authentication reset. They sign in with their password alone " +
			"until they set it up again."
	}
	return ""
}
