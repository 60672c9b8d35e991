package api

import (
	"strings"
	"time"
)

// RegistryEndpointNames lists the registry endpoints (projects, tasks, models, queues,
// workers, events) of the real endpoint table, for the authorization matrix test in
// package api_test: New only builds the table, so no services are needed.
func RegistryEndpointNames() []string {
	a := New(Services{}, nil, nil, Options{}, time.Now)
	var out []string
	for _, e := range a.Endpoints() {
		for _, p := range []string{"projects.", "tasks.", "models.", "queues.", "workers.",
			"events."} {
			if strings.HasPrefix(e.Name, p) {
				out = append(out, e.Name)
			}
		}
	}
	return out
}
