package web

import (
	"net/http"

	"atrium/internal/sso"
)

// pathIdPs is the Identity providers section.
const pathIdPs = "/settings/identity-providers"

// idpPageNames are the section's page templates.
var idpPageNames = []string{}

// idpRoutes are the Identity providers admin pages.
func (w *Web) idpRoutes() []route {
	return nil
}

// renderIdPReport shows what a test sign-in returned and how it maps.
func (w *Web) renderIdPReport(rw http.ResponseWriter, r *http.Request, s *session,
	rep sso.Report) {
	w.fail(rw, r, s, http.StatusOK, "Test of "+rep.DisplayName, rep.Decision.Action, pathIdPs)
}
