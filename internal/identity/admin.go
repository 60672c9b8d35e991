package identity

import (
	"context"
	"strings"
	"time"

	"atrium/internal/apperr"
	"atrium/internal/secret"
)

// CredentialTopic is the change topic for API key pairs (published when a removal revokes
// them); the credential service listens for it.
const CredentialTopic = "credential"

// SetRole changes a user's role; admins only. It takes effect on the user's next request
// on every replica. The last active admin cannot be demoted.
func (s *Service) SetRole(ctx context.Context, userID string, role Role) error {
	p, err := caller(ctx)
	if err != nil {
		return err
	}
	if err := requireAdmin(p); err != nil {
		return err
	}
	if role != RoleAdmin && role != RoleUser {
		return apperr.Invalidf("Invalid role %q: want admin or user", role).OnField("role").
			WithSub(400, 12)
	}
	return s.store.InTx(ctx, func(ctx context.Context) error {
		return s.setRole(ctx, p, userID, role)
	})
}

func (s *Service) setRole(ctx context.Context, p Principal, userID string, role Role) error {
	u, err := s.liveUser(ctx, p.WorkspaceID, userID)
	if err != nil {
		return err
	}
	if u.Role == role {
		return nil
	}
	if u.Kind == KindService && role == RoleAdmin && !s.opts.AllowAdminServiceAccounts {
		return apperr.Invalidf("Service accounts cannot be admins on this server").
			OnField("role").WithSub(400, 12)
	}
	if u.Role == RoleAdmin {
		if err := s.keepOneAdmin(ctx, p.WorkspaceID, userID); err != nil {
			return err
		}
	}
	_, err = s.store.UpdateUser(ctx, p.WorkspaceID, userID, func(x *User) error {
		x.Role, x.UpdatedAt = role, s.now()
		return nil
	})
	if err != nil {
		return err
	}
	s.store.Publish(ctx, Topic, userID)
	return s.audit.Record(ctx, p.WorkspaceID, "user.set_role", "user", userID,
		map[string]any{"role": role, "previous": u.Role})
}

// liveUser returns a user of the workspace who has not been removed.
func (s *Service) liveUser(ctx context.Context, wsID, id string) (User, error) {
	u, err := s.store.User(ctx, wsID, id)
	if apperr.Is(err, apperr.NotFound) || (err == nil && u.Status == StatusRemoved) {
		return User{}, invalidUserID(id, wsID)
	}
	return u, err
}

// keepOneAdmin refuses a change that would leave the workspace without an active admin.
func (s *Service) keepOneAdmin(ctx context.Context, wsID, losing string) error {
	admins, err := s.store.Users(ctx, wsID, UserFilter{Kind: KindPerson,
		Statuses: []Status{StatusActive}})
	if err != nil {
		return err
	}
	for _, a := range admins {
		if a.Role == RoleAdmin && a.ID != losing {
			return nil
		}
	}
	return apperr.Invalidf("The last admin of the workspace cannot be demoted, deactivated or "+
		"removed; make someone else an admin first").WithSub(400, 12)
}

// checkSeats refuses adding n people when the workspace would pass the active-user cap.
func (s *Service) checkSeats(ctx context.Context, wsID string, n int) error {
	max := s.opts.MaxActiveUsers
	if max <= 0 {
		return nil
	}
	used, err := s.store.CountFilteredUsers(ctx, wsID, UserFilter{Kind: KindPerson,
		Statuses: []Status{StatusActive, StatusInvited}})
	if err != nil {
		return err
	}
	if used+n > max {
		return apperr.Invalidf("The workspace is limited to %d active users and has %d (invited "+
			"included); deactivate someone or raise the limit", max, used).WithSub(400, 12)
	}
	return nil
}

// Deactivate stops a user's sign-in, tokens and credentials at once; their objects stay.
func (s *Service) Deactivate(ctx context.Context, userID string) error {
	return s.changeStatus(ctx, userID, StatusDeactivated, "user.deactivate")
}

// Reactivate lets a deactivated user back in.
func (s *Service) Reactivate(ctx context.Context, userID string) error {
	return s.changeStatus(ctx, userID, StatusActive, "user.reactivate")
}

func (s *Service) changeStatus(ctx context.Context, userID string, to Status, action string) error {
	p, err := caller(ctx)
	if err != nil {
		return err
	}
	if err := requireAdmin(p); err != nil {
		return err
	}
	return s.store.InTx(ctx, func(ctx context.Context) error {
		u, err := s.liveUser(ctx, p.WorkspaceID, userID)
		if err != nil {
			return err
		}
		if u.Status == to {
			return nil
		}
		switch {
		case to == StatusActive && u.Status != StatusDeactivated:
			return apperr.Invalidf("Only a deactivated user can be reactivated").WithSub(400, 12)
		case to == StatusActive:
			if err := s.checkSeats(ctx, p.WorkspaceID, 1); err != nil && u.Kind == KindPerson {
				return err
			}
		case u.Role == RoleAdmin:
			if err := s.keepOneAdmin(ctx, p.WorkspaceID, userID); err != nil {
				return err
			}
		}
		_, err = s.store.UpdateUser(ctx, p.WorkspaceID, userID, func(x *User) error {
			x.Status, x.UpdatedAt = to, s.now()
			return nil
		})
		if err != nil {
			return err
		}
		s.store.Publish(ctx, Topic, userID)
		return s.audit.Record(ctx, p.WorkspaceID, action, "user", userID, nil)
	})
}

// Remove removes a user or service account: their credentials are deleted and every token
// stops working at once. The row stays, without e-mail or password, so objects keep their
// owner id and show the old name.
func (s *Service) Remove(ctx context.Context, userID string) error {
	p, err := caller(ctx)
	if err != nil {
		return err
	}
	if err := requireAdmin(p); err != nil {
		return err
	}
	return s.store.InTx(ctx, func(ctx context.Context) error {
		u, err := s.liveUser(ctx, p.WorkspaceID, userID)
		if err != nil {
			return err
		}
		if u.Role == RoleAdmin && u.Status == StatusActive {
			if err := s.keepOneAdmin(ctx, p.WorkspaceID, userID); err != nil {
				return err
			}
		}
		return s.remove(ctx, p, u)
	})
}

func (s *Service) remove(ctx context.Context, p Principal, u User) error {
	keys, err := s.store.DeleteCredentialsOf(ctx, p.WorkspaceID, u.ID)
	if err != nil {
		return err
	}
	for _, k := range keys {
		s.store.Publish(ctx, CredentialTopic, k)
	}
	if err := s.store.LeaveAllGroups(ctx, p.WorkspaceID, u.ID); err != nil {
		return err
	}
	if err := s.store.DeleteInvitationsOf(ctx, p.WorkspaceID, u.ID); err != nil {
		return err
	}
	_, err = s.store.UpdateUser(ctx, p.WorkspaceID, u.ID, func(x *User) error {
		now := s.now()
		x.Status, x.Email, x.PasswordHash, x.AllowImpersonation = StatusRemoved, "", "", false
		x.RemovedAt, x.UpdatedAt = now, now
		return nil
	})
	if err != nil {
		return err
	}
	s.store.Publish(ctx, Topic, u.ID)
	return s.audit.Record(ctx, p.WorkspaceID, "user.remove", "user", u.ID,
		map[string]any{"email": u.Email, "name": u.Name, "kind": u.Kind,
			"credentials_revoked": len(keys)})
}

// AddUser creates an active person directly (auth.create_user), bypassing invitations;
// admins only. A password is optional: without one the person signs in by SSO or not at all.
func (s *Service) AddUser(ctx context.Context, email, name string, role Role, password string) (
	User, error) {
	p, err := caller(ctx)
	if err != nil {
		return User{}, err
	}
	if err := requireAdmin(p); err != nil {
		return User{}, err
	}
	if role == "" {
		role = RoleUser
	}
	return s.CreateUser(ctx, p.WorkspaceID, email, name, role, password)
}

// UserRow is a user with the activity the admin table shows.
type UserRow struct {
	User
	Groups          []string
	LastCredentials time.Time
	Credentials     int
}

// UserQuery selects a page of the admin users table.
type UserQuery struct {
	Search   string
	Kind     Kind
	Statuses []Status
	IDs      []string
	OrderBy  string
	Page     int
	PageSize int
}

// UserPage is one page of users and the total matching.
type UserPage struct {
	Users []UserRow
	Total int
}

// UsersEx lists users with groups and activity for administrators. It costs four indexed
// queries whatever the workspace size: the page, the count, and the page's groups and
// credential summaries.
func (s *Service) UsersEx(ctx context.Context, q UserQuery) (UserPage, error) {
	p, err := caller(ctx)
	if err != nil {
		return UserPage{}, err
	}
	if err := requireAdmin(p); err != nil {
		return UserPage{}, err
	}
	f := UserFilter{NameLike: strings.TrimSpace(q.Search), Kind: q.Kind, Statuses: q.Statuses,
		IDs: q.IDs, OrderBy: q.OrderBy}
	if len(f.Statuses) == 0 {
		f.Statuses = []Status{StatusActive, StatusInvited, StatusDeactivated}
	}
	total, err := s.store.CountFilteredUsers(ctx, p.WorkspaceID, f)
	if err != nil {
		return UserPage{}, err
	}
	if q.PageSize > 0 {
		f.Limit, f.Offset = q.PageSize, q.Page*q.PageSize
	}
	users, err := s.store.Users(ctx, p.WorkspaceID, f)
	if err != nil {
		return UserPage{}, err
	}
	rows, err := s.userRows(ctx, p.WorkspaceID, users)
	return UserPage{Users: rows, Total: total}, err
}

func (s *Service) userRows(ctx context.Context, wsID string, users []User) ([]UserRow, error) {
	ids := make([]string, len(users))
	for i, u := range users {
		ids[i] = u.ID
	}
	last, err := s.store.LastCredentialUse(ctx, wsID, ids)
	if err != nil {
		return nil, err
	}
	counts, err := s.store.CredentialCounts(ctx, wsID, ids)
	if err != nil {
		return nil, err
	}
	memberships, err := s.store.GroupsOfUsers(ctx, wsID, ids)
	if err != nil {
		return nil, err
	}
	groups, err := s.store.Groups(ctx, wsID)
	if err != nil {
		return nil, err
	}
	usersGroup, adminsGroup := findKind(groups, GroupUsers), findKind(groups, GroupAdmins)
	rows := make([]UserRow, len(users))
	for i, u := range users {
		u.PasswordHash = ""
		gs := append([]string{}, memberships[u.ID]...)
		if usersGroup != nil {
			gs = append(gs, usersGroup.ID)
		}
		if adminsGroup != nil && u.Role == RoleAdmin {
			gs = append(gs, adminsGroup.ID)
		}
		rows[i] = UserRow{User: u, Groups: gs, LastCredentials: last[u.ID],
			Credentials: counts[u.ID]}
	}
	return rows, nil
}

// ServiceAccountInput creates or edits a service account. Nil fields stay unchanged.
type ServiceAccountInput struct {
	Name               *string
	AllowImpersonation *bool
	Admin              *bool
	Groups             *[]string
}

// CreateServiceAccount adds an API-only identity; admins only.
func (s *Service) CreateServiceAccount(ctx context.Context, in ServiceAccountInput) (User, error) {
	p, err := caller(ctx)
	if err != nil {
		return User{}, err
	}
	if err := requireAdmin(p); err != nil {
		return User{}, err
	}
	if in.Name == nil {
		return User{}, apperr.Invalidf("Missing required fields (name)").WithSub(400, 11).
			OnField("name")
	}
	name := strings.TrimSpace(*in.Name)
	if err := checkDisplayName(name); err != nil {
		return User{}, err
	}
	now := s.now()
	u := User{ID: secret.ID(), WorkspaceID: p.WorkspaceID, Name: name, Role: RoleUser,
		Status: StatusActive, Kind: KindService, CreatedInVersion: s.opts.Version,
		CreatedAt: now, UpdatedAt: now}
	if in.AllowImpersonation != nil {
		u.AllowImpersonation = *in.AllowImpersonation
	}
	if in.Admin != nil && *in.Admin {
		if !s.opts.AllowAdminServiceAccounts {
			return User{}, apperr.Invalidf("Service accounts cannot be admins on this server").
				OnField("admin").WithSub(400, 12)
		}
		u.Role = RoleAdmin
	}
	err = s.store.InTx(ctx, func(ctx context.Context) error {
		if err := s.store.CreateUser(ctx, u); err != nil {
			return err
		}
		if in.Groups != nil {
			if err := s.setUserGroups(ctx, p, u.ID, *in.Groups); err != nil {
				return err
			}
		}
		return s.audit.Record(ctx, p.WorkspaceID, "service_account.create", "user", u.ID,
			map[string]any{"name": u.Name, "allow_impersonation": u.AllowImpersonation,
				"role": u.Role})
	})
	return u, err
}

// UpdateServiceAccount edits a service account; admins only.
func (s *Service) UpdateServiceAccount(ctx context.Context, id string,
	in ServiceAccountInput) (User, error) {
	p, err := caller(ctx)
	if err != nil {
		return User{}, err
	}
	if err := requireAdmin(p); err != nil {
		return User{}, err
	}
	if in.Name != nil {
		if err := checkDisplayName(*in.Name); err != nil {
			return User{}, err
		}
	}
	var out User
	err = s.store.InTx(ctx, func(ctx context.Context) error {
		u, err := s.liveUser(ctx, p.WorkspaceID, id)
		if err != nil {
			return err
		}
		if u.Kind != KindService {
			return apperr.Invalidf("%s is not a service account", id).WithSub(400, 301)
		}
		if in.Admin != nil {
			role := RoleUser
			if *in.Admin {
				role = RoleAdmin
			}
			if err := s.setRole(ctx, p, id, role); err != nil {
				return err
			}
		}
		out, err = s.store.UpdateUser(ctx, p.WorkspaceID, id, func(x *User) error {
			if in.Name != nil {
				x.Name = strings.TrimSpace(*in.Name)
			}
			if in.AllowImpersonation != nil {
				x.AllowImpersonation = *in.AllowImpersonation
			}
			x.UpdatedAt = s.now()
			return nil
		})
		if err != nil {
			return err
		}
		if in.Groups != nil {
			if err := s.setUserGroups(ctx, p, id, *in.Groups); err != nil {
				return err
			}
		}
		s.store.Publish(ctx, Topic, id)
		return s.audit.Record(ctx, p.WorkspaceID, "service_account.update", "user", id,
			map[string]any{"name": out.Name, "allow_impersonation": out.AllowImpersonation})
	})
	return out, err
}

// setUserGroups makes the user a member of exactly the given custom and queue-admin groups.
func (s *Service) setUserGroups(ctx context.Context, p Principal, userID string,
	groupIDs []string) error {
	groups, err := s.store.Groups(ctx, p.WorkspaceID)
	if err != nil {
		return err
	}
	byID := map[string]Group{}
	for _, g := range groups {
		byID[g.ID] = g
	}
	want := map[string]bool{}
	for _, id := range dedupe(groupIDs) {
		g, ok := byID[id]
		if !ok {
			return apperr.Invalidf("Invalid group id %s", id).OnField("groups").WithSub(400, 12)
		}
		if g.Kind == GroupUsers || g.Kind == GroupAdmins {
			continue // implicit: everyone, and the admin role
		}
		want[id] = true
	}
	current, err := s.store.UserGroups(ctx, p.WorkspaceID, userID)
	if err != nil {
		return err
	}
	for _, id := range current {
		if !want[id] {
			if err := s.store.RemoveGroupMember(ctx, p.WorkspaceID, id, userID); err != nil {
				return err
			}
		}
		delete(want, id)
	}
	for id := range want {
		if err := s.store.AddGroupMember(ctx, p.WorkspaceID, id, userID); err != nil {
			return err
		}
	}
	s.store.Publish(ctx, Topic, userID)
	return nil
}

// ServiceAccounts lists the workspace's service accounts with credential summaries; admins
// only.
func (s *Service) ServiceAccounts(ctx context.Context) ([]UserRow, error) {
	page, err := s.UsersEx(ctx, UserQuery{Kind: KindService,
		Statuses: []Status{StatusActive, StatusDeactivated}})
	return page.Users, err
}

// Impersonate returns the principal a caller acts as when it sends X-ClearML-Impersonate-As
// (actAs false: the target's identity and role) or X-ClearML-Act-As (actAs true: the
// target's identity with the caller's role). Admins may act as anyone in the workspace;
// service accounts with impersonation allowed may act as people who are not admins; no one
// else may. Errors are ClearML's 400/6.
func (s *Service) Impersonate(ctx context.Context, by Principal, targetID string, actAs bool) (
	Principal, error) {
	deny := func(why string) (Principal, error) {
		return Principal{}, apperr.Invalidf("Impersonation error (%s)", why).WithSub(400, 6)
	}
	if by.ImpersonatorID != "" {
		return deny("already acting as another user")
	}
	serviceOK := by.Kind == KindService && by.AllowImpersonation
	if !by.IsAdmin() && !serviceOK {
		return deny("not allowed for role " + string(by.Role))
	}
	target, err := s.Principal(ctx, by.WorkspaceID, targetID)
	if err != nil {
		return deny("invalid user " + targetID)
	}
	if !by.IsAdmin() && (target.IsAdmin() || target.Kind == KindService) {
		return deny("a service account may only act as people who are not admins")
	}
	if actAs {
		target.ActAs = true
		target.Role = by.Role
		target.Name = by.Name + " (acting as " + target.Name + ")"
	}
	target.ImpersonatorID = by.UserID
	return target, nil
}

// AllowsAdminServiceAccounts reports whether service accounts may be made admins.
func (s *Service) AllowsAdminServiceAccounts() bool { return s.opts.AllowAdminServiceAccounts }

// Seats returns how many people are active or invited and the cap (0: none); admins only.
func (s *Service) Seats(ctx context.Context) (used, max int, err error) {
	p, err := caller(ctx)
	if err != nil {
		return 0, 0, err
	}
	if err := requireAdmin(p); err != nil {
		return 0, 0, err
	}
	used, err = s.store.CountFilteredUsers(ctx, p.WorkspaceID, UserFilter{Kind: KindPerson,
		Statuses: []Status{StatusActive, StatusInvited}})
	return used, s.opts.MaxActiveUsers, err
}
