package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"atrium/internal/store"
	"atrium/internal/store/storetest"
)

func TestSQLite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) *store.Store {
		s, _ := storetest.OpenSQLite(t)
		return s
	})
}

func TestPostgres(t *testing.T) {
	storetest.PostgresDSN(t) // skips when no server is configured
	storetest.Run(t, func(t *testing.T) *store.Store {
		s, _ := storetest.OpenPostgres(t)
		return s
	})
}

// TestPostgresNotifiesOtherReplicas checks that a change committed through one store reaches
// another store on the same database, as a second replica would hear it.
func TestPostgresNotifiesOtherReplicas(t *testing.T) {
	a, dsn := storetest.OpenPostgres(t)
	b, err := store.Open(context.Background(), dsn, t.TempDir(), storetest.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	got := make(chan store.Change, 10)
	var once sync.Once
	b.Subscribe(func(c store.Change) {
		if c.Topic == "credential" {
			once.Do(func() { got <- c })
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b.Listen(ctx)
	a.InTx(context.Background(), func(ctx context.Context) error {
		a.Publish(ctx, "credential", "AK123")
		return nil
	})
	select {
	case c := <-got:
		if c.ID != "AK123" {
			t.Fatalf("heard %+v", c)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("other replica did not hear the change")
	}
}
