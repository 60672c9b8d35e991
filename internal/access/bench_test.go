package access_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"atrium/internal/access"
	"atrium/internal/identity"
)

// The decision logic on its own, with rules in memory: a workspace with 1,000 rules (one
// per project, each for one of 50 groups), a caller in 10 groups. go test -bench Decision
// ./internal/access prints the cost of one permission question and of one read scope.

type memRules []access.Rule

func (m memRules) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	return fn(ctx)
}
func (memRules) Publish(context.Context, string, string) {}
func (m memRules) AccessRules(context.Context, string) ([]access.Rule, error) {
	return m, nil
}
func (memRules) SaveAccessRule(context.Context, access.Rule) error      { return nil }
func (memRules) DeleteAccessRule(context.Context, string, string) error { return nil }
func (memRules) MarkAccessDefaults(context.Context, string, time.Time) (bool, error) {
	return false, nil
}

type memIDs struct{}

func (memIDs) WorkspaceGroups(context.Context, string) ([]identity.GroupView, error) {
	return nil, nil
}
func (memIDs) BuiltinGroup(_ context.Context, _ string, k identity.GroupKind) (string, error) {
	return "builtin-" + string(k), nil
}
func (memIDs) Principal(context.Context, string, string) (identity.Principal, error) {
	return identity.Principal{}, nil
}

// benchWorld returns the service, the caller and a task deep in project p0500.
func benchWorld(nRules int) (*access.Service, identity.Principal, access.Object) {
	rules := make(memRules, 0, nRules)
	for i := range nRules {
		perm := access.Read
		if i%2 == 0 {
			perm = access.ReadWrite
		}
		rules = append(rules, access.Rule{ID: fmt.Sprintf("r%04d", i), WorkspaceID: "ws",
			EntityType: access.Project, EntityID: fmt.Sprintf("p%04d", i), Permission: perm,
			Users:  []string{fmt.Sprintf("u%03d", i%300)},
			Groups: []string{fmt.Sprintf("g%02d", i%50)}})
	}
	svc := access.New(rules, memIDs{}, nil, time.Now, nil)
	groups := []string{}
	for i := range 10 {
		groups = append(groups, fmt.Sprintf("g%02d", i*5+1))
	}
	slices.Sort(groups)
	p := identity.Principal{WorkspaceID: "ws", UserID: "caller", Role: identity.RoleUser,
		Groups: groups}
	o := access.Object{Type: access.Task, ID: "t1", Owner: "someone",
		Projects: []string{"p0501", "p0500", "p0499"}}
	return svc, p, o
}

func BenchmarkDecisionPermission(b *testing.B) {
	svc, p, o := benchWorld(1000)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := svc.Permission(ctx, p, o); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecisionReadScope(b *testing.B) {
	svc, p, _ := benchWorld(1000)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		sc, err := svc.ReadScope(ctx, p, access.Task)
		if err != nil || len(sc.Projects) != 200 {
			b.Fatalf("scope of %d projects, %v", len(sc.Projects), err)
		}
	}
}

// The same questions with the default rules only (rules switched off in effect).
func BenchmarkDecisionPermissionDefaults(b *testing.B) {
	svc, p, o := benchWorld(0)
	_ = svc
	rules := memRules{}
	for _, t := range access.EntityTypes {
		rules = append(rules, access.Rule{ID: string(t), WorkspaceID: "ws", EntityType: t,
			EntityID: access.All, Permission: access.ReadWrite, Groups: []string{p.Groups[0]}})
	}
	svc = access.New(rules, memIDs{}, nil, time.Now, nil)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if got, err := svc.Permission(ctx, p, o); err != nil || got != access.ReadWrite {
			b.Fatal(got, err)
		}
	}
}
