package web

import (
	"net/http"

	"atrium/internal/identity"
)

// invitedView answers an invitation or a resend: for each address, whether it was mailed,
// and otherwise the link to pass on. It is the POST's own response and never cached: the
// links are secrets that the server keeps only as hashes.
type invitedView struct {
	adminFrame
	Results []inviteRow
	Resent  bool
	Unsent  int // how many links the admin must pass on
}

// inviteRow is one invited address and its delivery.
type inviteRow struct {
	N         int // position, for element ids
	Email     string
	Link      string
	Sent      bool
	SendError string
	Expires   when // when the link stops working: Text is relative, Exact the time
}

// invite invites one or many addresses (separated by commas, semicolons, spaces or new
// lines) with a role. The whole batch is refused when one address is.
func (w *Web) invite(rw http.ResponseWriter, r *http.Request, s *session) {
	emails := r.PostForm.Get("emails")
	role := identity.Role(r.PostForm.Get("role"))
	res, err := w.svc.Identity.Invite(r.Context(), []string{emails}, role)
	if err != nil {
		errs, status := w.formFailure(r, err, map[string]string{"emails": "emails",
			"email": "emails", "role": "role", "": "emails"})
		w.usersError(rw, r, s, status, func(v *usersView) {
			v.Invite.Emails, v.Invite.Roles, v.Invite.Errors = emails, roleChoices(role), errs
		})
		return
	}
	w.showInvited(rw, r, s, res, false)
}

func (w *Web) showInvited(rw http.ResponseWriter, r *http.Request, s *session,
	res []identity.InviteResult, resent bool) {
	v := invitedView{adminFrame: w.usersFrame(r, s, pathUsers, "Invitations sent"),
		Resent: resent}
	for i, x := range res {
		row := inviteRow{N: i, Email: x.Email, Link: x.Link, Sent: x.Sent,
			SendError: x.SendError}
		if !x.ExpiresAt.IsZero() {
			row.Expires = when{Text: until(w.now(), x.ExpiresAt), Exact: exact(x.ExpiresAt)}
		}
		v.Results = append(v.Results, row)
		if !x.Sent {
			v.Unsent++
		}
	}
	rw.Header().Set("Pragma", "no-cache")
	w.render(rw, r, http.StatusOK, tmplInvited, v)
}

// pathInvitation finds the pending invitation named in the path, or answers with the
// error page.
func (w *Web) pathInvitation(rw http.ResponseWriter, r *http.Request, s *session) (
	identity.Invitation, bool) {
	list, err := w.svc.Identity.Invitations(r.Context())
	if err != nil {
		w.serverError(rw, r, s, err)
		return identity.Invitation{}, false
	}
	for _, inv := range list {
		if inv.ID == r.PathValue("id") {
			return inv, true
		}
	}
	w.gone(rw, r, s, "invitation", pathUsers)
	return identity.Invitation{}, false
}

func (w *Web) resendInvitation(rw http.ResponseWriter, r *http.Request, s *session) {
	inv, ok := w.pathInvitation(rw, r, s)
	if !ok {
		return
	}
	res, err := w.svc.Identity.ResendInvitation(r.Context(), inv.ID)
	if err != nil {
		msg, status := w.refusal(r, err)
		w.fail(rw, r, s, status, "Invitation not resent", msg, pathUsers)
		return
	}
	w.showInvited(rw, r, s, []identity.InviteResult{res}, true)
}

// cancelConfirmation asks before cancelling an invitation.
func cancelConfirmation(inv identity.Invitation) confirmation {
	return confirmation{Heading: "Cancel the invitation of " + inv.Email + "?",
		Message: "Cancel the invitation of " + inv.Email + "? Its link stops working at once " +
			"and the address is forgotten; you can invite it again later.",
		Action: pathUsers + "/invitations/" + inv.ID + "/cancel", Button: "Cancel invitation"}
}

func (w *Web) cancelInvitationPage(rw http.ResponseWriter, r *http.Request, s *session) {
	inv, ok := w.pathInvitation(rw, r, s)
	if !ok {
		return
	}
	w.showConfirm(rw, r, s, http.StatusOK, pathUsers, cancelConfirmation(inv), pathUsers, "")
}

func (w *Web) cancelInvitation(rw http.ResponseWriter, r *http.Request, s *session) {
	inv, ok := w.pathInvitation(rw, r, s)
	if !ok {
		return
	}
	if err := w.svc.Identity.CancelInvitation(r.Context(), inv.ID); err != nil {
		msg, status := w.refusal(r, err)
		w.showConfirm(rw, r, s, status, pathUsers, cancelConfirmation(inv), pathUsers, msg)
		return
	}
	redirectWith(rw, r, pathUsers, "invitation-cancelled", usersBack(r))
}
