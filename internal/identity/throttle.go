package identity

import (
	"math"
	"sync"
	"time"

	"atrium/internal/apperr"
)

// throttle slows down password guessing per account and per address. Each failure past a
// free allowance doubles the wait before the next attempt is even checked, up to maxDelay.
// The tight per-account limit counts failures of one account from one address, so an
// attacker elsewhere cannot lock a person out by failing on purpose; a much looser limit per
// account across all addresses still bounds distributed guessing. A success clears the
// account's record for that address. State is per process: several replicas each keep their
// own, which still bounds guessing to a small multiple.
type throttle struct {
	mu      sync.Mutex
	entries map[string]*failures
	now     func() time.Time
}

type failures struct {
	count int
	last  time.Time
	until time.Time
}

const (
	accountAllowance = 5   // one account from one address
	spreadAllowance  = 100 // one account from anywhere
	addressAllowance = 20  // one address, any account
	failureWindow    = 15 * time.Minute
	maxDelay         = 15 * time.Minute
)

func newThrottle(now func() time.Time) *throttle {
	return &throttle{entries: map[string]*failures{}, now: now}
}

// check returns an error when key is still waiting out its delay.
func (t *throttle) check(keys ...string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	for _, k := range keys {
		f := t.entries[k]
		if f != nil && now.Before(f.until) {
			wait := int(math.Ceil(f.until.Sub(now).Seconds()))
			return apperr.Unauthenticatedf("Too many failed sign-in attempts; try again in %d "+
				"seconds", wait)
		}
	}
	return nil
}

// fail records a failure for the account and the address.
func (t *throttle) fail(account, address string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	t.bump("acct:"+account+"|"+address, accountAllowance, now)
	t.bump("spread:"+account, spreadAllowance, now)
	if address != "" {
		t.bump("addr:"+address, addressAllowance, now)
	}
	if len(t.entries) > 100_000 {
		t.sweep(now)
	}
}

func (t *throttle) bump(key string, allowance int, now time.Time) {
	f := t.entries[key]
	if f == nil || now.Sub(f.last) > failureWindow {
		f = &failures{}
		t.entries[key] = f
	}
	f.count++
	f.last = now
	if over := f.count - allowance; over > 0 {
		delay := time.Second << min(over-1, 20)
		f.until = now.Add(min(delay, maxDelay))
	}
}

// succeed clears the account's failures from that address.
func (t *throttle) succeed(account, address string) {
	t.mu.Lock()
	delete(t.entries, "acct:"+account+"|"+address)
	t.mu.Unlock()
}

func (t *throttle) sweep(now time.Time) {
	for k, f := range t.entries {
		if now.Sub(f.last) > failureWindow && now.After(f.until) {
			delete(t.entries, k)
		}
	}
}
