package storetest

import (
	"context"
	"testing"
	"time"

	"atrium/internal/apperr"
	"atrium/internal/credential"
	"atrium/internal/secret"
	"atrium/internal/sso"
	"atrium/internal/store"
)

func testSSO(t *testing.T, s *store.Store) {
	ctx := context.Background()
	ws, u := seed(t, s)
	r := sso.Record{ID: secret.ID(), WorkspaceID: ws.ID, Provider: "okta", Protocol: "oidc",
		DisplayName: "Okta", Active: true, Settings: `{"client_id":"x"}`, Secrets: "v1:sealed",
		CreatedAt: t0, UpdatedAt: t0}
	if err := s.SaveSSOConnection(ctx, r); err != nil {
		t.Fatal(err)
	}
	got, err := s.SSOConnection(ctx, r.ID)
	if err != nil || got != r {
		t.Fatalf("read back %+v, %v; want %+v", got, err, r)
	}
	r.DisplayName, r.Active, r.UpdatedAt = "Okta prod", false, t0.Add(time.Hour)
	if err := s.SaveSSOConnection(ctx, r); err != nil {
		t.Fatal(err)
	}
	dup := r
	dup.ID, dup.DisplayName = secret.ID(), "OKTA PROD"
	mustKind(t, s.SaveSSOConnection(ctx, dup), apperr.Conflict, "display name used twice")
	list, err := s.SSOConnections(ctx, ws.ID)
	if err != nil || len(list) != 1 || list[0].DisplayName != "Okta prod" || list[0].Active {
		t.Fatalf("list = %+v, %v", list, err)
	}

	l := sso.Link{WorkspaceID: ws.ID, ConnectionID: r.ID, Subject: "sub-1", UserID: u.ID,
		CreatedAt: t0, LastSeenAt: t0}
	if err := s.SaveSSOLink(ctx, l); err != nil {
		t.Fatal(err)
	}
	l.LastSeenAt = t0.Add(time.Minute)
	if err := s.SaveSSOLink(ctx, l); err != nil {
		t.Fatal(err)
	}
	if got, err := s.SSOLink(ctx, ws.ID, r.ID, "sub-1"); err != nil || got != l {
		t.Fatalf("link = %+v, %v", got, err)
	}
	_, err = s.SSOLink(ctx, ws.ID, r.ID, "sub-2")
	mustKind(t, err, apperr.NotFound, "unknown subject")

	// A key is accepted once until it expires, then again.
	exp := t0.Add(time.Minute)
	if err := s.ConsumeOnce(ctx, ws.ID, "saml:a1", exp, t0); err != nil {
		t.Fatal(err)
	}
	mustKind(t, s.ConsumeOnce(ctx, ws.ID, "saml:a1", exp, t0.Add(time.Second)), apperr.Conflict,
		"replayed key")
	if err := s.ConsumeOnce(ctx, ws.ID, "saml:a1", exp.Add(time.Minute),
		exp.Add(time.Second)); err != nil {
		t.Fatalf("expired key refused: %v", err)
	}
	// A refused key inside a transaction leaves the transaction usable on PostgreSQL too.
	err = s.InTx(ctx, func(ctx context.Context) error {
		if err := s.ConsumeOnce(ctx, ws.ID, "saml:a1", exp, exp); !apperr.Is(err, apperr.Conflict) {
			t.Errorf("replay in a transaction: %v", err)
		}
		return s.ConsumeOnce(ctx, ws.ID, "saml:b2", exp, exp)
	})
	if err != nil {
		t.Fatalf("transaction after a refused key: %v", err)
	}

	// Deleting a connection deletes its links.
	if err := s.DeleteSSOConnection(ctx, ws.ID, r.ID); err != nil {
		t.Fatal(err)
	}
	_, err = s.SSOLink(ctx, ws.ID, r.ID, "sub-1")
	mustKind(t, err, apperr.NotFound, "link of a deleted connection")
	mustKind(t, s.DeleteSSOConnection(ctx, ws.ID, r.ID), apperr.NotFound, "delete twice")
}

func testWebSessions(t *testing.T, s *store.Store) {
	ctx := context.Background()
	ws, u := seed(t, s)
	a := credential.WebSession{ID: secret.ID(), WorkspaceID: ws.ID, UserID: u.ID,
		Method: "password", Address: "127.0.0.1", UserAgent: "Firefox", CreatedAt: t0,
		LastSeenAt: t0, ExpiresAt: t0.Add(time.Hour)}
	b := a
	b.ID, b.CreatedAt, b.LastSeenAt = secret.ID(), t0.Add(time.Minute), t0.Add(time.Minute)
	for _, w := range []credential.WebSession{a, b} {
		if err := s.SaveWebSession(ctx, w); err != nil {
			t.Fatal(err)
		}
	}
	list, err := s.WebSessions(ctx, ws.ID, u.ID, t0.Add(2*time.Minute))
	if err != nil || len(list) != 2 || list[0].ID != b.ID || list[1] != a {
		t.Fatalf("list = %+v, %v", list, err)
	}
	if err := s.TouchWebSessions(ctx, map[string]time.Time{a.ID: t0.Add(30 * time.Minute),
		"gone": t0}); err != nil {
		t.Fatal(err)
	}
	if err := s.EndWebSession(ctx, ws.ID, u.ID, b.ID, t0.Add(3*time.Minute)); err != nil {
		t.Fatal(err)
	}
	mustKind(t, s.EndWebSession(ctx, ws.ID, u.ID, b.ID, t0.Add(4*time.Minute)),
		apperr.NotFound, "end twice")
	list, _ = s.WebSessions(ctx, ws.ID, u.ID, t0.Add(5*time.Minute))
	if len(list) != 1 || !list[0].LastSeenAt.Equal(t0.Add(30*time.Minute)) {
		t.Fatalf("after touch and end: %+v", list)
	}
	if list, _ := s.WebSessions(ctx, ws.ID, u.ID, t0.Add(2*time.Hour)); len(list) != 0 {
		t.Fatalf("expired sessions listed: %+v", list)
	}
}
