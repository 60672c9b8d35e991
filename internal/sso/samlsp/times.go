package samlsp

import (
	"fmt"
	"time"

	"github.com/crewjam/saml"
)

// checkTimes applies ClockSkew to the assertion's validity period at t, and returns the
// moment from which the assertion is refused. crewjam has already checked the same times
// with its own fixed tolerance (saml.MaxClockSkew, and saml.MaxIssueDelay for the age of
// IssueInstant); this check makes the configured skew the one that counts.
func checkTimes(a *saml.Assertion, t time.Time, skew time.Duration) (time.Time, error) {
	if a.IssueInstant.Add(-skew).After(t) {
		return time.Time{}, fmt.Errorf("%w: issued at %s", ErrNotYetValid, a.IssueInstant)
	}
	if a.Conditions != nil && a.Conditions.NotBefore.Add(-skew).After(t) {
		return time.Time{}, fmt.Errorf("%w: not before %s", ErrNotYetValid, a.Conditions.NotBefore)
	}
	deadline := acceptableUntil(a, skew)
	if !t.Before(deadline) {
		return time.Time{}, fmt.Errorf("%w: valid until %s", ErrExpired, deadline)
	}
	return deadline, nil
}

// acceptableUntil is the earliest of: IssueInstant plus saml.MaxIssueDelay (plus any skew
// beyond crewjam's own), Conditions NotOnOrAfter plus skew, and the latest bearer
// SubjectConfirmationData NotOnOrAfter plus skew (one valid confirmation suffices).
func acceptableUntil(a *saml.Assertion, skew time.Duration) time.Time {
	deadline := a.IssueInstant.Add(saml.MaxIssueDelay + max(0, skew-saml.MaxClockSkew))
	if a.Conditions != nil && !a.Conditions.NotOnOrAfter.IsZero() {
		deadline = earliest(deadline, a.Conditions.NotOnOrAfter.Add(skew))
	}
	var confirmation time.Time
	if a.Subject != nil {
		for _, sc := range a.Subject.SubjectConfirmations {
			if sc.Method != "urn:oasis:names:tc:SAML:2.0:cm:bearer" || sc.SubjectConfirmationData == nil {
				continue
			}
			if d := sc.SubjectConfirmationData.NotOnOrAfter.Add(skew); d.After(confirmation) {
				confirmation = d
			}
		}
	}
	if !confirmation.IsZero() {
		deadline = earliest(deadline, confirmation)
	}
	return deadline
}

func earliest(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
