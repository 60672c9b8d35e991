package store

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// Change says that records of a topic changed; services use it to drop cached copies.
// Topic "*" means "anything may have changed" and is sent after a listener reconnects.
type Change struct {
	Topic string
	ID    string
}

// TopicAll is the catch-all topic.
const TopicAll = "*"

const pgChannel = "atrium_changes"

type bus struct {
	mu     sync.RWMutex
	subs   []func(Change)
	cancel context.CancelFunc
	done   chan struct{}
}

func newBus() *bus { return &bus{} }

func (b *bus) deliver(c Change) {
	b.mu.RLock()
	subs := b.subs
	b.mu.RUnlock()
	for _, fn := range subs {
		fn(c)
	}
}

func (b *bus) close() {
	if b.cancel != nil {
		b.cancel()
		<-b.done
	}
}

// Subscribe registers fn for every change, local or from another replica. fn must be quick
// and must not call back into the store.
func (s *Store) Subscribe(fn func(Change)) {
	s.bus.mu.Lock()
	s.bus.subs = append(s.bus.subs, fn)
	s.bus.mu.Unlock()
}

// Publish announces a change. Inside a transaction it is delivered after commit (and, on
// PostgreSQL, sent to other replicas by NOTIFY as part of the commit); outside one it is
// delivered at once.
func (s *Store) Publish(ctx context.Context, topic, id string) {
	c := Change{Topic: topic, ID: id}
	if s.dialect == Postgres {
		// pg_notify is transactional: other replicas hear it only if the change commits.
		if _, err := s.exec(ctx, "SELECT pg_notify(?, ?)", pgChannel, topic+"\x1f"+id); err != nil {
			// Inside a transaction the commit fails too; outside one, other replicas keep
			// stale caches until their time limits, so say so.
			s.log.Warn("notify other replicas", "topic", topic, "error", err)
		}
	}
	if st, ok := ctx.Value(txKey{}).(*txState); ok {
		st.pending = append(st.pending, c)
		return
	}
	s.bus.deliver(c)
}

// Listen starts hearing other replicas' changes (PostgreSQL only; SQLite has one process).
// It reconnects on failure and then announces TopicAll, since changes may have been missed.
func (s *Store) Listen(ctx context.Context) {
	if s.dialect != Postgres || s.bus.cancel != nil {
		return
	}
	ctx, cancel := context.WithCancel(ctx)
	s.bus.cancel, s.bus.done = cancel, make(chan struct{})
	ready := make(chan struct{})
	go func() {
		defer close(s.bus.done)
		first := true
		for ctx.Err() == nil {
			err := s.listenOnce(ctx, func() {
				if first {
					close(ready)
					first = false
				} else {
					s.bus.deliver(Change{Topic: TopicAll})
				}
			})
			if ctx.Err() != nil {
				return
			}
			s.log.Warn("change listener lost its connection; reconnecting", "error", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
		}
	}()
	select {
	case <-ready:
	case <-time.After(10 * time.Second):
		s.log.Warn("change listener not connected yet; continuing")
	}
}

func (s *Store) listenOnce(ctx context.Context, connected func()) error {
	conn, err := pgx.Connect(ctx, s.dsn)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+pgChannel); err != nil {
		return err
	}
	connected()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		topic, id, _ := strings.Cut(n.Payload, "\x1f")
		s.bus.deliver(Change{Topic: topic, ID: id})
	}
}
