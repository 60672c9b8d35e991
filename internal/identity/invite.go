package identity

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"atrium/internal/apperr"
	"atrium/internal/secret"
)

// Mailer delivers a message; internal/mail implements it over SMTP.
type Mailer interface {
	Send(ctx context.Context, m Message) error
}

// Message is an e-mail with a plain-text and an HTML body.
type Message struct {
	To      string
	Subject string
	Text    string
	HTML    string
}

// InviteResult is the outcome for one invited address. Link is the one-time link; it is
// returned to the admin when no mail was sent, so they can pass it on.
type InviteResult struct {
	InvitationID string
	UserID       string
	Email        string
	Link         string
	ExpiresAt    time.Time
	Sent         bool
	SendError    string
}

const maxInvitesAtOnce = 100

// Invite invites people by e-mail with a role; admins only. Every address is checked before
// anything is stored: a malformed address, one already a member or invited, or too many
// for the active-user cap refuses the whole batch.
func (s *Service) Invite(ctx context.Context, emails []string, role Role) ([]InviteResult, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := requireAdmin(p); err != nil {
		return nil, err
	}
	if role == "" {
		role = RoleUser
	}
	if role != RoleAdmin && role != RoleUser {
		return nil, apperr.Invalidf("Invalid role %q: want admin or user", role).OnField("role")
	}
	addrs, err := normalizeAll(emails)
	if err != nil {
		return nil, err
	}
	var results []InviteResult
	err = s.store.InTx(ctx, func(ctx context.Context) error {
		if err := s.checkSeats(ctx, p.WorkspaceID, len(addrs)); err != nil {
			return err
		}
		for _, addr := range addrs {
			r, err := s.invite(ctx, p, addr, role)
			if err != nil {
				return err
			}
			results = append(results, r)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.deliver(ctx, p, results)
	return results, nil
}

func normalizeAll(emails []string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, e := range emails {
		for _, part := range strings.FieldsFunc(e, func(r rune) bool {
			return r == ',' || r == ';' || r == ' ' || r == '\n' || r == '\t'
		}) {
			addr, err := NormalizeEmail(part)
			if err != nil {
				return nil, err.(*apperr.Error).OnField("emails")
			}
			if !seen[addr] {
				seen[addr] = true
				out = append(out, addr)
			}
		}
	}
	if len(out) == 0 {
		return nil, apperr.Invalidf("Missing required fields (emails)").WithSub(400, 11).
			OnField("emails")
	}
	if len(out) > maxInvitesAtOnce {
		return nil, apperr.Invalidf("At most %d invitations at once", maxInvitesAtOnce).
			OnField("emails")
	}
	return out, nil
}

func (s *Service) invite(ctx context.Context, p Principal, addr string, role Role) (
	InviteResult, error) {
	now := s.now()
	u := User{ID: secret.ID(), WorkspaceID: p.WorkspaceID, Email: addr, Name: addr, Role: role,
		Status: StatusInvited, Kind: KindPerson, CreatedInVersion: s.opts.Version,
		CreatedAt: now, UpdatedAt: now}
	if err := s.store.CreateUser(ctx, u); err != nil {
		if apperr.Is(err, apperr.Conflict) {
			return InviteResult{}, apperr.Conflictf("%s is already a member or already invited",
				addr).OnField("emails").WithSub(400, 12)
		}
		return InviteResult{}, err
	}
	inv, token := s.newInvitation(p, u)
	if err := s.store.CreateInvitation(ctx, inv); err != nil {
		return InviteResult{}, err
	}
	if err := s.audit.Record(ctx, p.WorkspaceID, "invitation.create", "user", u.ID,
		map[string]any{"email": addr, "role": role, "expires": inv.ExpiresAt}); err != nil {
		return InviteResult{}, err
	}
	return InviteResult{InvitationID: inv.ID, UserID: u.ID, Email: addr,
		Link: s.inviteLink(token), ExpiresAt: inv.ExpiresAt}, nil
}

func (s *Service) newInvitation(p Principal, u User) (Invitation, string) {
	token := base64.RawURLEncoding.EncodeToString(secret.Random(32))
	now := s.now()
	return Invitation{ID: secret.ID(), WorkspaceID: p.WorkspaceID, UserID: u.ID, Email: u.Email,
		Role: u.Role, TokenHash: s.keys.Hash("invitation", token), InvitedBy: p.UserID,
		CreatedAt: now, ExpiresAt: now.Add(s.opts.InvitationTTL)}, token
}

func (s *Service) inviteLink(token string) string {
	return strings.TrimRight(s.opts.PublicURL, "/") + "/invite/" + token
}

// deliver mails each invitation when a mailer is configured. A failed send keeps the
// invitation (the admin sees the link and the error).
func (s *Service) deliver(ctx context.Context, p Principal, results []InviteResult) {
	if s.opts.Mailer == nil {
		return
	}
	ws, _ := s.store.Workspace(ctx, p.WorkspaceID)
	for i := range results {
		r := &results[i]
		err := s.opts.Mailer.Send(ctx, invitationMessage(r.Email, p.Name, ws.Name, r.Link,
			s.opts.InvitationTTL))
		if err != nil {
			s.log.Warn("send invitation", "email", r.Email, "error", err)
			r.SendError = "The e-mail could not be sent; copy the link instead"
			continue
		}
		r.Sent = true
	}
}

// Invitations lists pending invitations; admins only.
func (s *Service) Invitations(ctx context.Context) ([]Invitation, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := requireAdmin(p); err != nil {
		return nil, err
	}
	list, err := s.store.Invitations(ctx, p.WorkspaceID)
	for i := range list {
		list[i].TokenHash = ""
	}
	return list, err
}

// ResendInvitation makes a new link for an invitation (the old one stops working), with a
// fresh expiry, and sends it again; admins only.
func (s *Service) ResendInvitation(ctx context.Context, id string) (InviteResult, error) {
	p, err := caller(ctx)
	if err != nil {
		return InviteResult{}, err
	}
	if err := requireAdmin(p); err != nil {
		return InviteResult{}, err
	}
	var res InviteResult
	err = s.store.InTx(ctx, func(ctx context.Context) error {
		old, err := s.findInvitation(ctx, p.WorkspaceID, id)
		if err != nil {
			return err
		}
		if err := s.store.DeleteInvitation(ctx, p.WorkspaceID, old.ID); err != nil {
			return err
		}
		u := User{ID: old.UserID, Email: old.Email, Role: old.Role}
		inv, token := s.newInvitation(p, u)
		if err := s.store.CreateInvitation(ctx, inv); err != nil {
			return err
		}
		res = InviteResult{InvitationID: inv.ID, UserID: u.ID, Email: u.Email,
			Link: s.inviteLink(token), ExpiresAt: inv.ExpiresAt}
		return s.audit.Record(ctx, p.WorkspaceID, "invitation.resend", "user", u.ID,
			map[string]any{"email": u.Email})
	})
	if err != nil {
		return InviteResult{}, err
	}
	results := []InviteResult{res}
	s.deliver(ctx, p, results)
	return results[0], nil
}

func (s *Service) findInvitation(ctx context.Context, wsID, id string) (Invitation, error) {
	list, err := s.store.Invitations(ctx, wsID)
	if err != nil {
		return Invitation{}, err
	}
	for _, inv := range list {
		if inv.ID == id {
			return inv, nil
		}
	}
	return Invitation{}, apperr.Invalidf("Invalid invitation id %s", id).WithSub(400, 12)
}

// CancelInvitation withdraws an invitation and forgets the invited address; admins only.
func (s *Service) CancelInvitation(ctx context.Context, id string) error {
	p, err := caller(ctx)
	if err != nil {
		return err
	}
	if err := requireAdmin(p); err != nil {
		return err
	}
	return s.store.InTx(ctx, func(ctx context.Context) error {
		inv, err := s.findInvitation(ctx, p.WorkspaceID, id)
		if err != nil {
			return err
		}
		if err := s.store.DeleteUser(ctx, p.WorkspaceID, inv.UserID); err != nil {
			return err
		}
		return s.audit.Record(ctx, p.WorkspaceID, "invitation.cancel", "user", inv.UserID,
			map[string]any{"email": inv.Email})
	})
}

// PendingInvitation is what the acceptance page shows.
type PendingInvitation struct {
	Email         string
	WorkspaceName string
	ExpiresAt     time.Time
}

func badInvitation() error {
	return apperr.Invalidf("This invitation link is not valid: it has expired, was already " +
		"used, or was replaced by a newer one. Ask your administrator for a new invitation.")
}

// LookupInvitation checks an invitation token for the acceptance page.
func (s *Service) LookupInvitation(ctx context.Context, token string) (PendingInvitation, error) {
	inv, err := s.store.InvitationByToken(ctx, s.keys.Hash("invitation", token))
	if err != nil || !s.now().Before(inv.ExpiresAt) {
		return PendingInvitation{}, badInvitation()
	}
	ws, err := s.store.Workspace(ctx, inv.WorkspaceID)
	if err != nil {
		return PendingInvitation{}, err
	}
	return PendingInvitation{Email: inv.Email, WorkspaceName: ws.Name, ExpiresAt: inv.ExpiresAt},
		nil
}

// AcceptInvitation turns an invitation into an active user with a display name and
// password. The link works once: the invitation is deleted in the same transaction.
func (s *Service) AcceptInvitation(ctx context.Context, token, name, password string) (User,
	error) {
	name = strings.TrimSpace(name)
	if err := checkDisplayName(name); err != nil {
		return User{}, err
	}
	if err := CheckPasswordRules(password); err != nil {
		return User{}, err
	}
	hash := HashPassword(password)
	var out User
	err := s.store.InTx(ctx, func(ctx context.Context) error {
		inv, err := s.store.InvitationByToken(ctx, s.keys.Hash("invitation", token))
		if err != nil || !s.now().Before(inv.ExpiresAt) {
			return badInvitation()
		}
		if err := s.store.DeleteInvitation(ctx, inv.WorkspaceID, inv.ID); err != nil {
			return err
		}
		out, err = s.store.UpdateUser(ctx, inv.WorkspaceID, inv.UserID, func(u *User) error {
			if u.Status != StatusInvited {
				return badInvitation()
			}
			now := s.now()
			u.Name, u.PasswordHash, u.Status, u.UpdatedAt = name, hash, StatusActive, now
			return nil
		})
		if err != nil {
			return err
		}
		s.store.Publish(ctx, Topic, out.ID)
		return s.audit.Record(ctx, inv.WorkspaceID, "invitation.accept", "user", out.ID,
			map[string]any{"email": out.Email})
	})
	return out, err
}

func invitationMessage(to, inviter, workspace, link string, ttl time.Duration) Message {
	days := int(ttl.Hours() / 24)
	valid := fmt.Sprintf("%d days", days)
	if days < 1 {
		valid = ttl.Round(time.Minute).String()
	}
	text := fmt.Sprintf("%s invited you to the %s workspace on Atrium.\n\n"+
		"Open this link to choose your display name and password:\n\n%s\n\n"+
		"The link works once and expires in %s. If you did not expect this, ignore this "+
		"message.\n", inviter, workspace, link, valid)
	html := "<p>" + htmlEscape(inviter) + " invited you to the <strong>" + htmlEscape(workspace) +
		"</strong> workspace on Atrium.</p><p><a href=\"" + htmlEscape(link) +
		"\">Accept the invitation</a></p><p>The link works once and expires in " + valid +
		". If you did not expect this, ignore this message.</p>"
	return Message{To: to, Subject: "You are invited to " + workspace + " on Atrium", Text: text,
		HTML: html}
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;",
		"'", "&#39;").Replace(s)
}

// allowedDomainsKey is the workspace setting listing e-mail domains that may join without
// an invitation.
const allowedDomainsKey = "allowed_domains"

// AllowedDomains lists the e-mail domains whose people may join without an invitation.
func (s *Service) AllowedDomains(ctx context.Context) ([]string, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	return s.allowedDomains(ctx, p.WorkspaceID)
}

func (s *Service) allowedDomains(ctx context.Context, wsID string) ([]string, error) {
	v, err := s.store.WorkspaceSetting(ctx, wsID, allowedDomainsKey)
	if apperr.Is(err, apperr.NotFound) {
		return []string{}, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	if err := json.Unmarshal([]byte(v), &out); err != nil {
		return []string{}, nil
	}
	return out, nil
}

// SetAllowedDomains replaces the allowed e-mail domains; admins only.
func (s *Service) SetAllowedDomains(ctx context.Context, domains []string) ([]string, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := requireAdmin(p); err != nil {
		return nil, err
	}
	var clean []string
	seen := map[string]bool{}
	for _, d := range domains {
		d = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(d), "@"))
		if d == "" {
			continue
		}
		if _, err := NormalizeEmail("x@" + d); err != nil || !strings.Contains(d, ".") {
			return nil, apperr.Invalidf("Invalid e-mail domain %q", d).OnField("domains")
		}
		if !seen[d] {
			seen[d] = true
			clean = append(clean, d)
		}
	}
	if clean == nil {
		clean = []string{}
	}
	b, _ := json.Marshal(clean)
	err = s.store.InTx(ctx, func(ctx context.Context) error {
		if err := s.store.PutWorkspaceSetting(ctx, p.WorkspaceID, allowedDomainsKey,
			string(b)); err != nil {
			return err
		}
		return s.audit.Record(ctx, p.WorkspaceID, "workspace.set_allowed_domains", "workspace",
			p.WorkspaceID, map[string]any{"domains": clean})
	})
	return clean, err
}

// MayJoin reports whether a person with a verified e-mail may join the workspace without an
// invitation, because their domain is allowed.
func (s *Service) MayJoin(ctx context.Context, wsID, email string) (bool, error) {
	domains, err := s.allowedDomains(ctx, wsID)
	if err != nil {
		return false, err
	}
	_, domain, ok := strings.Cut(strings.ToLower(email), "@")
	if !ok {
		return false, nil
	}
	for _, d := range domains {
		if domain == d {
			return true, nil
		}
	}
	return false, nil
}
