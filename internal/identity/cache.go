package identity

import (
	"sync"
	"time"
)

// principalTTL bounds how long a cached principal is trusted without hearing of a change;
// change notifications normally drop entries long before. It also bounds how late a
// change made by another process on the same SQLite file (a shell command) is seen.
const principalTTL = 10 * time.Second

type principalCache struct {
	mu      sync.RWMutex
	entries map[string]cachedPrincipal
	now     func() time.Time
}

type cachedPrincipal struct {
	p  Principal
	u  User
	at time.Time
}

func (c *principalCache) init(now func() time.Time) {
	c.entries = map[string]cachedPrincipal{}
	c.now = now
}

func (c *principalCache) get(userID string) (Principal, User, bool) {
	c.mu.RLock()
	e, ok := c.entries[userID]
	c.mu.RUnlock()
	if !ok || c.now().Sub(e.at) > principalTTL {
		return Principal{}, User{}, false
	}
	return e.p, e.u, true
}

func (c *principalCache) put(p Principal, u User) {
	u.PasswordHash = "" // never kept in memory longer than a sign-in needs
	c.mu.Lock()
	if len(c.entries) > 100_000 {
		c.entries = map[string]cachedPrincipal{}
	}
	c.entries[p.UserID] = cachedPrincipal{p: p, u: u, at: c.now()}
	c.mu.Unlock()
}

func (c *principalCache) drop(userID string) {
	c.mu.Lock()
	delete(c.entries, userID)
	c.mu.Unlock()
}

func (c *principalCache) clear() {
	c.mu.Lock()
	c.entries = map[string]cachedPrincipal{}
	c.mu.Unlock()
}
