package sso

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"atrium/internal/apperr"
	"atrium/internal/identity"
)

// Profile is what a provider said about a person, after the connection's claim mapping.
type Profile struct {
	Subject       string   `json:"subject"`
	Email         string   `json:"email"`
	EmailVerified bool     `json:"email_verified"`
	Name          string   `json:"name,omitempty"`
	GivenName     string   `json:"given_name,omitempty"`
	FamilyName    string   `json:"family_name,omitempty"`
	Picture       string   `json:"picture,omitempty"`
	Groups        []string `json:"groups,omitempty"`
}

// mapProfile applies a connection's claim mapping to what the provider returned. subject is
// the protocol's own stable id (OIDC sub, SAML NameID, LDAP DN), used when no user id
// claim is configured. verified says whether the e-mail may be trusted to link accounts.
func mapProfile(st Settings, claims map[string]any, subject string, verified bool) Profile {
	p := Profile{Subject: subject, EmailVerified: verified}
	if st.ClaimUserID != "" {
		if v := claimString(claims, st.ClaimUserID); v != "" {
			p.Subject = v
		}
	}
	p.Email = strings.ToLower(claimString(claims, st.ClaimEmail))
	p.Name = claimString(claims, st.ClaimName)
	p.GivenName = claimString(claims, st.ClaimGivenName)
	p.FamilyName = claimString(claims, st.ClaimFamilyName)
	p.Picture = claimString(claims, st.ClaimPicture)
	if st.ClaimGroups != "" {
		for _, g := range claimStrings(claims, st.ClaimGroups) {
			if g = groupName(g); g != "" && !slices.Contains(p.Groups, g) {
				p.Groups = append(p.Groups, g)
			}
		}
	}
	return p
}

// attributeClaims adds multi-valued attributes (SAML, LDAP) to claims: one value as a
// string, several as a list, the way OIDC providers send them. Later maps win.
func attributeClaims(out map[string]any, attrs ...map[string][]string) map[string]any {
	for _, m := range attrs {
		for k, vs := range m {
			if len(vs) == 1 && k != "groups" {
				out[k] = vs[0]
				continue
			}
			list := make([]any, len(vs))
			for i, v := range vs {
				list[i] = v
			}
			out[k] = list
		}
	}
	return out
}

// claimValue finds a claim by its exact name, or by a dotted path into nested objects.
func claimValue(claims map[string]any, name string) any {
	if v, ok := claims[name]; ok {
		return v
	}
	cur := any(claims)
	for _, part := range strings.Split(name, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		if cur, ok = m[part]; !ok {
			return nil
		}
	}
	return cur
}

func claimString(claims map[string]any, name string) string {
	if name == "" {
		return ""
	}
	if vs := claimStrings(claims, name); len(vs) > 0 {
		return vs[0]
	}
	return ""
}

// claimStrings reads a claim as a list of strings: a string, a number, a list of either.
func claimStrings(claims map[string]any, name string) []string {
	var out []string
	var add func(v any)
	add = func(v any) {
		switch x := v.(type) {
		case string:
			if x = strings.TrimSpace(x); x != "" {
				out = append(out, x)
			}
		case []string:
			for _, s := range x {
				add(s)
			}
		case []any:
			for _, s := range x {
				add(s)
			}
		case float64, int, int64, bool:
			out = append(out, fmt.Sprint(x))
		}
	}
	add(claimValue(claims, name))
	return out
}

// groupName turns a directory group DN ("CN=ML Team,OU=Groups,DC=example") into its first
// common name; other values are names already.
func groupName(v string) string {
	v = strings.TrimSpace(v)
	first, _, _ := strings.Cut(v, ",")
	if k, name, ok := strings.Cut(first, "="); ok && strings.EqualFold(strings.TrimSpace(k), "cn") &&
		strings.Contains(v, ",") {
		return strings.TrimSpace(name)
	}
	return v
}

// Decision is what a sign-in would do, worked out before anything changes; the test panel
// shows it without applying it.
type Decision struct {
	UserID  string `json:"user_id,omitempty"`
	Email   string `json:"email,omitempty"`
	Action  string `json:"action"` // sign in, link, accept invitation, create, refuse
	Refusal string `json:"refusal,omitempty"`
	// Groups are the Atrium groups the person will be in (names), when synchronising.
	Groups   []string `json:"groups,omitempty"`
	groupIDs []string
	synced   bool
	// Admin is the role the admin groups give, when admin groups are configured.
	Admin *bool `json:"admin,omitempty"`
	link  bool
}

// Actions of a decision.
const (
	ActionSignIn = "sign in"
	ActionLink   = "link to the existing user with this e-mail"
	ActionAccept = "accept the pending invitation"
	ActionCreate = "create a new user"
	ActionRefuse = "refuse"
)

func refuse(d Decision, reason string) Decision {
	d.Action, d.Refusal = ActionRefuse, reason
	return d
}

// decide works out who the person is and whether they may get in.
func (s *Service) decide(ctx context.Context, c Connection, p Profile) (Decision, error) {
	d := Decision{Email: p.Email}
	if p.Subject == "" {
		return refuse(d, "the provider returned no user id"), nil
	}
	if err := s.decideGroups(ctx, c, p, &d); err != nil || d.Action == ActionRefuse {
		return d, err
	}
	link, err := s.store.SSOLink(ctx, c.WorkspaceID, c.ID, p.Subject)
	switch {
	case err == nil:
		u, err := s.ids.UserByID(ctx, c.WorkspaceID, link.UserID)
		if err != nil && !apperr.Is(err, apperr.NotFound) {
			return d, err
		}
		if err == nil {
			d.UserID = u.ID
			return s.decideExisting(d, u, ActionSignIn), nil
		}
	case !apperr.Is(err, apperr.NotFound):
		return d, err
	}
	if p.Email == "" {
		return refuse(d, "the provider returned no e-mail address (check the e-mail claim)"), nil
	}
	if _, err := identity.NormalizeEmail(p.Email); err != nil {
		return refuse(d, fmt.Sprintf("the provider returned an invalid e-mail address %q",
			p.Email)), nil
	}
	u, found, err := s.ids.WorkspaceUserByEmail(ctx, c.WorkspaceID, p.Email)
	if err != nil {
		return d, err
	}
	d.link = true
	if found {
		if !p.EmailVerified {
			return refuse(d, "the provider has not verified this e-mail address, so it "+
				"cannot be linked to the existing user"), nil
		}
		d.UserID = u.ID
		if u.Status == identity.StatusInvited {
			d.Action = ActionAccept
			return d, nil
		}
		return s.decideExisting(d, u, ActionLink), nil
	}
	if c.Settings.CreateUsers {
		d.Action = ActionCreate
		return d, nil
	}
	ok, err := s.ids.MayJoin(ctx, c.WorkspaceID, p.Email)
	if err != nil {
		return d, err
	}
	if !ok || !p.EmailVerified {
		return refuse(d, "this e-mail is not a member of the workspace, not invited and not "+
			"of an allowed domain"), nil
	}
	d.Action = ActionCreate
	return d, nil
}

func (s *Service) decideExisting(d Decision, u identity.User, action string) Decision {
	switch {
	case u.Kind == identity.KindService:
		return refuse(d, "service accounts cannot sign in")
	case u.Status == identity.StatusActive:
		d.Action = action
		return d
	case u.Status == identity.StatusInvited:
		d.Action = ActionAccept
		return d
	}
	return refuse(d, "the user is "+string(u.Status))
}

// decideGroups matches the provider's groups onto existing custom groups and works out
// the admin role.
func (s *Service) decideGroups(ctx context.Context, c Connection, p Profile, d *Decision) error {
	st := c.Settings
	if !st.GroupEnabled {
		return nil
	}
	same := func(a, b string) bool {
		if st.GroupCaseInsensitive {
			return strings.EqualFold(a, b)
		}
		return a == b
	}
	groups, err := s.ids.WorkspaceGroups(ctx, c.WorkspaceID)
	if err != nil {
		return err
	}
	d.synced, d.groupIDs, d.Groups = true, []string{}, []string{}
	for _, g := range groups {
		if g.Kind != identity.GroupCustom {
			continue
		}
		if slices.ContainsFunc(p.Groups, func(n string) bool { return same(n, g.Name) }) {
			d.groupIDs = append(d.groupIDs, g.ID)
			d.Groups = append(d.Groups, g.Name)
		}
	}
	isAdmin := false
	if len(st.GroupAdmins) > 0 {
		isAdmin = slices.ContainsFunc(p.Groups, func(n string) bool {
			return slices.ContainsFunc(st.GroupAdmins, func(a string) bool { return same(n, a) })
		})
		d.Admin = &isAdmin
	}
	if st.GroupRequireKnown && len(d.groupIDs) == 0 && !isAdmin {
		*d = refuse(*d, "the person is in none of the workspace's groups")
	}
	return nil
}

// method names a sign-in for the users table.
func method(c Connection) string {
	return strings.ToUpper(string(c.Protocol)) + ": " + c.DisplayName
}

// admit applies a decision: creates or links the user, synchronises groups and role,
// records the sign-in. A refusal becomes an error the sign-in page shows.
func (s *Service) admit(ctx context.Context, c Connection, p Profile) (identity.User, error) {
	d, err := s.decide(ctx, c, p)
	if err != nil {
		return identity.User{}, err
	}
	if d.Action == ActionRefuse {
		s.refused(ctx, c, p.Email, d.Refusal)
		return identity.User{}, signInRefused(d.Refusal)
	}
	var u identity.User
	err = s.store.InTx(ctx, func(ctx context.Context) error {
		switch d.Action {
		case ActionCreate, ActionAccept:
			u, err = s.ids.AdmitExternal(ctx, c.WorkspaceID, identity.ExternalProfile{
				Email: p.Email, Name: p.Name, GivenName: p.GivenName, FamilyName: p.FamilyName,
				Avatar: p.Picture}, method(c))
		default:
			u, err = s.ids.UserByID(ctx, c.WorkspaceID, d.UserID)
		}
		if err != nil {
			return err
		}
		now := s.now()
		if err := s.store.SaveSSOLink(ctx, Link{WorkspaceID: c.WorkspaceID, ConnectionID: c.ID,
			Subject: p.Subject, UserID: u.ID, CreatedAt: now, LastSeenAt: now}); err != nil {
			return err
		}
		var want []string
		if d.synced {
			want = d.groupIDs
		}
		changes, err := s.ids.SyncExternal(ctx, c.WorkspaceID, u.ID, want, d.Admin)
		if err != nil {
			return err
		}
		return s.audit.Record(ctx, c.WorkspaceID, "sso.sign_in", "user", u.ID, map[string]any{
			"connection": c.ID, "display_name": c.DisplayName, "action": d.Action,
			"email": p.Email, "changes": changes})
	})
	if err != nil {
		return identity.User{}, err
	}
	s.ids.RecordSignIn(c.WorkspaceID, u.ID, method(c))
	return u, nil
}

// refused writes a failed sign-in to the audit log in its own transaction.
func (s *Service) refused(ctx context.Context, c Connection, who, reason string) {
	err := s.store.InTx(ctx, func(ctx context.Context) error {
		return s.audit.Record(ctx, c.WorkspaceID, "sso.sign_in_refused", "sso_connection",
			c.ID, map[string]any{"display_name": c.DisplayName, "who": who, "reason": reason})
	})
	if err != nil {
		s.log.Error("audit a refused sign-in", "connection", c.ID, "error", err)
	}
}

// signInRefused is the error a refused sign-in returns; its message is safe to show.
func signInRefused(reason string) error {
	return apperr.Forbiddenf("Sign-in refused: %s.", reason)
}
