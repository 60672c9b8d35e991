package web

// Navigation groups, in the order of product.md.
const (
	groupUser    = "User settings"
	groupObjects = "Workspace objects (read-only)"
	groupAdmin   = "Administrator settings"
)

// section is one Settings section of product.md. Only built sections are listed; admin
// sections only to administrators.
type section struct {
	Group string
	Title string
	Path  string
	Admin bool
	Built bool
}

// settingsSections lists every Settings section in product.md order.
func settingsSections() []section {
	return []section{
		{groupUser, "Profile", pathProfile, false, true},
		{groupUser, "Configuration", pathConfiguration, false, true},
		{groupUser, "Workspace", pathWorkspace, false, true},
		{groupObjects, "Projects", pathProjects, false, true},
		{groupObjects, "Models", pathModels, false, true},
		{groupObjects, "Queues", pathQueues, false, true},
		{groupAdmin, sectionVaults, pathVaults, true, true},
		{groupAdmin, sectionUsers, pathUsers, true, true},
		{groupAdmin, sectionAccess, pathAccess, true, false},
		{groupAdmin, "Identity providers", pathIdPs, true, false},
		{groupAdmin, "Storage credentials", "/settings/storage-credentials", true, false},
		{groupAdmin, "Resource configuration", "/settings/resources", true, false},
		{groupAdmin, "Usage and billing", "/settings/usage", true, false},
		{groupAdmin, "Audit log", pathAudit, true, true},
	}
}

// navGroup is a heading in the left navigation and its links.
type navGroup struct {
	Title string
	Items []navItem
}

// navItem is one link; Current marks the page being shown.
type navItem struct {
	Title   string
	Path    string
	Current bool
}

// navFor builds the navigation for a viewer: built sections only, admin ones for admins,
// and a group only when it has at least one link.
func navFor(all []section, admin bool, current string) []navGroup {
	var out []navGroup
	for _, s := range all {
		if !s.Built || (s.Admin && !admin) {
			continue
		}
		if len(out) == 0 || out[len(out)-1].Title != s.Group {
			out = append(out, navGroup{Title: s.Group})
		}
		g := &out[len(out)-1]
		g.Items = append(g.Items, navItem{Title: s.Title, Path: s.Path, Current: s.Path == current})
	}
	return out
}
