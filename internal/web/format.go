package web

import (
	"fmt"
	"time"
)

// exact is the full timestamp shown in titles and on the one-time secret page.
func exact(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// day is the date shown in table cells.
func day(t time.Time) string { return t.UTC().Format("2006-01-02") }

// ago describes a past time relative to now: "just now", "5 minutes ago", "3 days ago",
// and the date once it is over a month old.
func ago(now, t time.Time) string {
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return plural(int(d/time.Minute), "minute") + " ago"
	case d < 24*time.Hour:
		return plural(int(d/time.Hour), "hour") + " ago"
	case d < 30*24*time.Hour:
		return plural(int(d/(24*time.Hour)), "day") + " ago"
	}
	return "on " + day(t)
}

// until describes a future time relative to now: "in 3 days", "in 5 hours". Hours and
// days are rounded, so a link made to last 7 days says "in 7 days", not "in 6 days".
func until(now, t time.Time) string {
	d := t.Sub(now)
	switch {
	case d < time.Minute:
		return "in less than a minute"
	case d < time.Hour:
		return "in " + plural(int(d/time.Minute), "minute")
	case d < 47*time.Hour+30*time.Minute:
		return "in " + plural(int((d+30*time.Minute)/time.Hour), "hour")
	}
	return "in " + plural(int((d+12*time.Hour)/(24*time.Hour)), "day")
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}
