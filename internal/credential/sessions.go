package credential

import (
	"context"
	"sort"
	"sync"
	"time"
	"unicode/utf8"

	"atrium/internal/apperr"
	"atrium/internal/identity"
)

// WebSession describes one browser session so that its owner can see it and end it. The
// token stays the credential; ending a session revokes its id like a sign-out.
type WebSession struct {
	ID          string // the token's session id
	WorkspaceID string
	UserID      string
	Method      string // how it was signed in: "password", "OIDC: Okta", ...
	Address     string
	UserAgent   string
	CreatedAt   time.Time
	LastSeenAt  time.Time
	ExpiresAt   time.Time
}

// SessionStore keeps the web session descriptions.
type SessionStore interface {
	SaveWebSession(ctx context.Context, w WebSession) error
	// WebSessions lists a user's sessions that have neither ended nor expired at now,
	// newest first.
	WebSessions(ctx context.Context, workspaceID, userID string, now time.Time) (
		[]WebSession, error)
	// EndWebSession marks a session ended; a missing one is NotFound.
	EndWebSession(ctx context.Context, workspaceID, userID, id string, at time.Time) error
	// TouchWebSessions writes last-seen times in one transaction.
	TouchWebSessions(ctx context.Context, seen map[string]time.Time) error
}

const maxUserAgent = 512

// StartWebSession records the browser session a token was just issued for.
func (s *Service) StartWebSession(ctx context.Context, tok Token, method, address,
	userAgent string) error {
	if len(userAgent) > maxUserAgent {
		userAgent = userAgent[:maxUserAgent]
	}
	if !utf8.ValidString(userAgent) || identity.HasControl(userAgent) {
		userAgent = ""
	}
	now := s.now()
	exp := now.Add(s.opts.MaxTokenExpiration)
	if tok.Claims.ExpiresAt != nil {
		exp = tok.Claims.ExpiresAt.Time
	}
	return s.store.SaveWebSession(ctx, WebSession{ID: tok.Claims.SessionID,
		WorkspaceID: tok.Claims.Identity.Company, UserID: tok.Claims.Identity.User,
		Method: method, Address: address, UserAgent: userAgent, CreatedAt: now,
		LastSeenAt: now, ExpiresAt: exp})
}

// SeenWebSession notes that a session was used; the time is written in the next batch.
func (s *Service) SeenWebSession(id string) {
	if id != "" {
		s.seen.Store(id, s.now())
	}
}

// seenBuffer holds last-seen times until the next flush.
type seenBuffer struct{ sync.Map }

func (b *seenBuffer) take() map[string]time.Time {
	out := map[string]time.Time{}
	b.Range(func(k, v any) bool {
		out[k.(string)] = v.(time.Time)
		b.Delete(k)
		return true
	})
	return out
}

func (s *Service) flushSeen(ctx context.Context) {
	batch := s.seen.take()
	if len(batch) == 0 {
		return
	}
	if err := s.store.TouchWebSessions(ctx, batch); err != nil {
		s.log.Warn("write web session last-seen times", "error", err, "count", len(batch))
	}
}

// WebSessions lists the caller's live browser sessions, newest first. Sessions ended by a
// password change or "sign out everywhere", and revoked ones, are left out.
func (s *Service) WebSessions(ctx context.Context) ([]WebSession, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	list, err := s.store.WebSessions(ctx, p.WorkspaceID, p.UserID, s.now())
	if err != nil {
		return nil, err
	}
	out := list[:0]
	for _, w := range list {
		if w.CreatedAt.Before(p.SessionsValidAfter) || s.revoked.has(w.ID) {
			continue
		}
		if v, ok := s.seen.Load(w.ID); ok && v.(time.Time).After(w.LastSeenAt) {
			w.LastSeenAt = v.(time.Time)
		}
		out = append(out, w)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].CreatedAt.After(out[j].CreatedAt) })
	return out, nil
}

// EndWebSession signs one of the caller's own sessions out, on every replica.
func (s *Service) EndWebSession(ctx context.Context, id string) error {
	p, err := caller(ctx)
	if err != nil {
		return err
	}
	list, err := s.store.WebSessions(ctx, p.WorkspaceID, p.UserID, s.now())
	if err != nil {
		return err
	}
	var target *WebSession
	for i := range list {
		if list[i].ID == id {
			target = &list[i]
		}
	}
	if target == nil {
		return apperr.NotFoundf("Session not found (it may have ended already)").OnField("id")
	}
	r := Revocation{SessionID: id, WorkspaceID: p.WorkspaceID, UserID: p.UserID,
		ExpiresAt: target.ExpiresAt, RevokedAt: s.now()}
	return s.store.InTx(ctx, func(ctx context.Context) error {
		if err := s.store.RevokeSession(ctx, r); err != nil {
			return err
		}
		if err := s.store.EndWebSession(ctx, p.WorkspaceID, p.UserID, id, s.now()); err != nil {
			return err
		}
		s.store.Publish(ctx, SessionTopic, id)
		return s.audit.Record(ctx, p.WorkspaceID, "session.end", "user", p.UserID,
			map[string]any{"session_id": id})
	})
}
