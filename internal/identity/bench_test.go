package identity_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"atrium/internal/identity"
	"atrium/internal/secret"
	"atrium/internal/store/storetest"
)

// BenchmarkUsersEx measures one page of 100 of the admin users table, with a search, in a
// workspace of 10,000 users and 200 groups, against the bare SQL query for the same page
// in the same run. Run: go test -run=^$ -bench=UsersEx ./internal/identity/
func BenchmarkUsersEx(b *testing.B) {
	st, _ := storetest.OpenSQLite(b)
	f := newFixture(b, st, identity.Options{})
	ctx := context.Background()
	seedWorkspace(b, f, 10_000, 200)
	q := identity.UserQuery{Search: "user 01", Kind: identity.KindPerson, Page: 3, PageSize: 100}

	// The baseline is the two queries any paged, searchable table needs: the page and the
	// total. UsersEx adds groups and credential activity for the page.
	b.Run("bare-sql-page-and-count", func(b *testing.B) {
		filter := identity.UserFilter{NameLike: "user 01", Kind: identity.KindPerson,
			Statuses: []identity.Status{identity.StatusActive, identity.StatusInvited,
				identity.StatusDeactivated}}
		for b.Loop() {
			if _, err := st.CountFilteredUsers(ctx, f.ws.ID, filter); err != nil {
				b.Fatal(err)
			}
			page := filter
			page.Limit, page.Offset = 100, 300
			if _, err := st.Users(ctx, f.ws.ID, page); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("users-ex-page", func(b *testing.B) {
		actx := as(f.admin)
		for b.Loop() {
			page, err := f.svc.UsersEx(actx, q)
			if err != nil || len(page.Users) != 100 {
				b.Fatalf("page of %d, %v", len(page.Users), err)
			}
		}
	})
}

func seedWorkspace(b *testing.B, f *fixture, users, groups int) {
	b.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	ids := make([]string, users)
	err := f.st.InTx(ctx, func(ctx context.Context) error {
		for i := range users {
			u := identity.User{ID: secret.ID(), WorkspaceID: f.ws.ID, Name: fmt.Sprintf("user %05d", i),
				Email: fmt.Sprintf("user%05d@example.com", i), Role: identity.RoleUser,
				Status: identity.StatusActive, Kind: identity.KindPerson, CreatedAt: now, UpdatedAt: now}
			if err := f.st.CreateUser(ctx, u); err != nil {
				return err
			}
			ids[i] = u.ID
		}
		for g := range groups {
			grp := identity.Group{ID: secret.ID(), WorkspaceID: f.ws.ID,
				Name: fmt.Sprintf("group %03d", g), Kind: identity.GroupCustom, CreatedAt: now,
				UpdatedAt: now}
			if err := f.st.CreateGroup(ctx, grp); err != nil {
				return err
			}
			for m := 0; m < 50; m++ {
				if err := f.st.AddGroupMember(ctx, f.ws.ID, grp.ID, ids[(g*50+m)%users]); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}
