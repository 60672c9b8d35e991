package api

import "maps"

func (a *API) serverEndpoints() []*Endpoint {
	return []*Endpoint{
		{Name: "server.info", Handle: a.serverInfo},
		{Name: "debug.ping", Auth: AuthNone, Handle: a.ping},
		{Name: "server.report_stats_option", Handle: a.reportStatsOption},
	}
}

// serverInfo answers in the >= 2.12 shape: no uid.
func (a *API) serverInfo(c *Call) (any, error) {
	return map[string]any{
		"version":        a.opts.ServerVersion,
		"build":          a.opts.Build,
		"commit":         a.opts.Commit,
		"api_version":    a.opts.APIVersion,
		"atrium_version": a.opts.Version,
	}, nil
}

// ping echoes the request body's keys beside its message, as ClearML's does.
func (a *API) ping(c *Call) (any, error) {
	out := map[string]any{}
	maps.Copy(out, c.bodyMap())
	out["msg"] = "ClearML server"
	return out, nil
}

// reportStatsOption answers the web app's telemetry question: Atrium sends no usage
// statistics anywhere, so the option is not supported.
func (a *API) reportStatsOption(c *Call) (any, error) {
	return map[string]any{"supported": false, "enabled": false,
		"current_version": a.opts.ServerVersion}, nil
}
