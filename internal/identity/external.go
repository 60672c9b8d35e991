package identity

import (
	"context"
	"slices"
	"strings"

	"atrium/internal/apperr"
)

// ExternalProfile is what an identity provider said about a person, after the connection's
// claim mapping.
type ExternalProfile struct {
	Email      string
	Name       string
	GivenName  string
	FamilyName string
	Avatar     string
}

// CheckSignInThrottle refuses a sign-in while the account or the address waits out the
// delay earned by earlier failures. Directory sign-ins share the password form's limits.
func (s *Service) CheckSignInThrottle(account, address string) error {
	key := strings.ToLower(strings.TrimSpace(account))
	return s.throttle.check("acct:"+key+"|"+address, "spread:"+key, "addr:"+address)
}

// SignInFailed counts a failed sign-in against the account and the address.
func (s *Service) SignInFailed(account, address string) {
	s.throttle.fail(strings.ToLower(strings.TrimSpace(account)), address)
}

// SignInSucceeded clears the account's failures from this address.
func (s *Service) SignInSucceeded(account, address string) {
	s.throttle.succeed(strings.ToLower(strings.TrimSpace(account)), address)
}

// WorkspaceUserByEmail returns the workspace's user with this e-mail; ok is false when there is none.
func (s *Service) WorkspaceUserByEmail(ctx context.Context, wsID, email string) (User, bool, error) {
	addr, err := NormalizeEmail(email)
	if err != nil {
		return User{}, false, nil
	}
	u, err := s.store.UserByEmail(ctx, addr)
	switch {
	case apperr.Is(err, apperr.NotFound):
		return User{}, false, nil
	case err != nil:
		return User{}, false, err
	case u.WorkspaceID != wsID:
		return User{}, false, nil
	}
	return u, true, nil
}

// UserByID returns a workspace's user without a caller check, for sign-in flows that have
// already authenticated the person elsewhere.
func (s *Service) UserByID(ctx context.Context, wsID, id string) (User, error) {
	return s.store.User(ctx, wsID, id)
}

// AdmitExternal lets in a person an identity provider vouched for: it creates an active
// person without a password, or, when an invitation for the e-mail is pending, accepts it
// (the invitation's role stands). The caller has decided that the person may join. It runs
// inside the caller's transaction when there is one.
func (s *Service) AdmitExternal(ctx context.Context, wsID string, p ExternalProfile,
	method string) (User, error) {
	name := externalName(p)
	var out User
	err := s.store.InTx(ctx, func(ctx context.Context) error {
		existing, ok, err := s.WorkspaceUserByEmail(ctx, wsID, p.Email)
		if err != nil {
			return err
		}
		if ok {
			if existing.Status != StatusInvited {
				return apperr.Conflictf("A user with e-mail %s already exists", existing.Email)
			}
			if err := s.store.DeleteInvitationsOf(ctx, wsID, existing.ID); err != nil {
				return err
			}
			out, err = s.store.UpdateUser(ctx, wsID, existing.ID, func(u *User) error {
				u.Status, u.UpdatedAt = StatusActive, s.now()
				applyProfile(u, p, name)
				return nil
			})
			if err != nil {
				return err
			}
			s.store.Publish(ctx, Topic, out.ID)
			return s.audit.Record(ctx, wsID, "invitation.accept", "user", out.ID,
				map[string]any{"email": out.Email, "method": method})
		}
		if err := s.checkSeats(ctx, wsID, 1); err != nil {
			return err
		}
		u, err := s.newUser(wsID, p.Email, name, RoleUser, "")
		if err != nil {
			return err
		}
		applyProfile(&u, p, name)
		if err := s.store.CreateUser(ctx, u); err != nil {
			return err
		}
		out = u
		return s.audit.Record(ctx, wsID, "user.create", "user", u.ID,
			map[string]any{"email": u.Email, "role": u.Role, "method": method})
	})
	return out, err
}

// externalName picks a display name: the name claim, else given and family names, else
// the e-mail's local part.
func externalName(p ExternalProfile) string {
	name := strings.TrimSpace(p.Name)
	if name == "" {
		name = strings.TrimSpace(strings.TrimSpace(p.GivenName) + " " +
			strings.TrimSpace(p.FamilyName))
	}
	if name == "" {
		name, _, _ = strings.Cut(p.Email, "@")
	}
	if checkDisplayName(name) != nil {
		name, _, _ = strings.Cut(p.Email, "@")
	}
	return name
}

func applyProfile(u *User, p ExternalProfile, name string) {
	if u.Name == "" || u.Status == StatusInvited {
		u.Name = name
	}
	u.GivenName = clip(strings.TrimSpace(p.GivenName), 200)
	u.FamilyName = clip(strings.TrimSpace(p.FamilyName), 200)
	if a := strings.TrimSpace(p.Avatar); strings.HasPrefix(a, "https://") && len(a) <= 2048 {
		u.Avatar = a
	}
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}

// SyncExternal applies what the provider said at a sign-in: group memberships (custom
// groups only: want lists the custom groups the person belongs to; every other custom
// membership is removed) when want is not nil, and the admin role when admin is not nil.
// The last active admin is never demoted this way; the sign-in goes on and the refusal is
// logged. It reports the changes made.
func (s *Service) SyncExternal(ctx context.Context, wsID, userID string, want []string,
	admin *bool) ([]string, error) {
	var changes []string
	err := s.store.InTx(ctx, func(ctx context.Context) error {
		changes = nil
		if want != nil {
			c, err := s.syncGroups(ctx, wsID, userID, want)
			if err != nil {
				return err
			}
			changes = append(changes, c...)
		}
		if admin == nil {
			return nil
		}
		u, err := s.store.User(ctx, wsID, userID)
		if err != nil {
			return err
		}
		role := RoleUser
		if *admin {
			role = RoleAdmin
		}
		if u.Role == role {
			return nil
		}
		sys := Principal{WorkspaceID: wsID, UserID: userID, Role: RoleSystem}
		err = s.setRole(ctx, sys, userID, role)
		if apperr.Is(err, apperr.Invalid) || apperr.Is(err, apperr.Conflict) {
			s.log.Warn("identity provider sync kept the role", "user", userID, "error", err)
			return nil
		}
		if err == nil {
			changes = append(changes, "role:"+string(role))
		}
		return err
	})
	return changes, err
}

func (s *Service) syncGroups(ctx context.Context, wsID, userID string, want []string) (
	[]string, error) {
	groups, err := s.store.Groups(ctx, wsID)
	if err != nil {
		return nil, err
	}
	have, err := s.store.UserGroups(ctx, wsID, userID)
	if err != nil {
		return nil, err
	}
	var changes []string
	for _, g := range groups {
		if g.Kind != GroupCustom {
			continue
		}
		in, wanted := slices.Contains(have, g.ID), slices.Contains(want, g.ID)
		switch {
		case wanted && !in:
			if err := s.store.AddGroupMember(ctx, wsID, g.ID, userID); err != nil {
				return nil, err
			}
			changes = append(changes, "+"+g.Name)
		case in && !wanted:
			if err := s.store.RemoveGroupMember(ctx, wsID, g.ID, userID); err != nil {
				return nil, err
			}
			changes = append(changes, "-"+g.Name)
		}
	}
	if len(changes) == 0 {
		return nil, nil
	}
	s.store.Publish(ctx, Topic, userID)
	return changes, s.audit.Record(ctx, wsID, "user.groups_synced", "user", userID,
		map[string]any{"changes": changes})
}
