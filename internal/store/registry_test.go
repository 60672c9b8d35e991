package store_test

import (
	"testing"

	"atrium/internal/store"
	"atrium/internal/store/storetest"
)

func TestRegistrySQLite(t *testing.T) {
	storetest.RunRegistry(t, func(t *testing.T) *store.Store {
		s, _ := storetest.OpenSQLite(t)
		return s
	})
}

func TestRegistryPostgres(t *testing.T) {
	storetest.PostgresDSN(t) // skips when no server is configured
	storetest.RunRegistry(t, func(t *testing.T) *store.Store {
		s, _ := storetest.OpenPostgres(t)
		return s
	})
}
