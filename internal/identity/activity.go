package identity

import (
	"context"
	"sync"
	"time"
)

// activityBuffer collects sign-in and UI activity between flushes, so recording them adds no
// database write to a request.
type activityBuffer struct {
	mu      sync.Mutex
	pending map[string]Activity // by user id
}

func (b *activityBuffer) init() { b.pending = map[string]Activity{} }

func (b *activityBuffer) merge(a Activity) {
	b.mu.Lock()
	defer b.mu.Unlock()
	cur := b.pending[a.UserID]
	cur.WorkspaceID, cur.UserID = a.WorkspaceID, a.UserID
	if a.LoginAt.After(cur.LoginAt) {
		cur.LoginAt, cur.LoginMethod = a.LoginAt, a.LoginMethod
	}
	if a.UIAt.After(cur.UIAt) {
		cur.UIAt = a.UIAt
	}
	b.pending[a.UserID] = cur
}

func (b *activityBuffer) take() []Activity {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]Activity, 0, len(b.pending))
	for _, a := range b.pending {
		out = append(out, a)
	}
	b.pending = map[string]Activity{}
	return out
}

// RecordSignIn notes a successful sign-in and how it was made ("password", "sso:<name>").
func (s *Service) RecordSignIn(wsID, userID, method string) {
	s.activity.merge(Activity{WorkspaceID: wsID, UserID: userID, LoginAt: s.now(),
		LoginMethod: method})
}

// RecordUIActivity notes that a user used the web UI.
func (s *Service) RecordUIActivity(wsID, userID string) {
	s.activity.merge(Activity{WorkspaceID: wsID, UserID: userID, UIAt: s.now()})
}

// FlushActivity writes buffered activity in one batch.
func (s *Service) FlushActivity(ctx context.Context) {
	batch := s.activity.take()
	if len(batch) == 0 {
		return
	}
	if err := s.store.RecordActivity(ctx, batch); err != nil {
		s.log.Warn("write user activity", "error", err, "count", len(batch))
		for _, a := range batch {
			s.activity.merge(a)
		}
	}
}

// Run flushes activity every interval until ctx ends, then once more.
func (s *Service) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			s.FlushActivity(context.Background())
			return
		case <-t.C:
			s.FlushActivity(ctx)
		}
	}
}
