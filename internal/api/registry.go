package api

// registryEndpoints lists the workload registry's endpoints (projects, tasks, models,
// queues, workers, events); each lives in its own file.
func (a *API) registryEndpoints() []*Endpoint {
	return nil
}
