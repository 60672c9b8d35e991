package web

import (
	"encoding/json"
	"sort"
)

// taskDoc is the part of a task's free-form sections the task page shows. Clients write
// these sections as they like, so every field is optional and a section that does not
// read is shown empty.
type taskDoc struct {
	Script struct {
		Repository string `json:"repository"`
		Branch     string `json:"branch"`
		VersionNum string `json:"version_num"`
		EntryPoint string `json:"entry_point"`
		WorkingDir string `json:"working_dir"`
	} `json:"script"`
	Hyperparams   map[string]map[string]docItem `json:"hyperparams"`
	Configuration map[string]json.RawMessage    `json:"configuration"`
	Execution     struct {
		Queue     string    `json:"queue"`
		Artifacts []docItem `json:"artifacts"`
	} `json:"execution"`
	Models struct {
		Input  []docModel `json:"input"`
		Output []docModel `json:"output"`
	} `json:"models"`
}

// docItem is a hyperparameter or an artifact; values of any JSON type are shown as text.
type docItem map[string]json.RawMessage

func (it docItem) str(key string) string { return rawText(it[key]) }

// docModel is a model reference of a task.
type docModel struct {
	Name  string `json:"name"`
	Model string `json:"model"`
}

// parseTaskDoc reads each section on its own, so one malformed section hides only itself.
func parseTaskDoc(raw json.RawMessage) taskDoc {
	var d taskDoc
	var sections map[string]json.RawMessage
	if json.Unmarshal(raw, &sections) != nil {
		return d
	}
	json.Unmarshal(sections["script"], &d.Script)
	json.Unmarshal(sections["hyperparams"], &d.Hyperparams)
	json.Unmarshal(sections["configuration"], &d.Configuration)
	json.Unmarshal(sections["execution"], &d.Execution)
	json.Unmarshal(sections["models"], &d.Models)
	return d
}

// rawText is a JSON value as text: a string without quotes, anything else as written.
func rawText(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

func (d taskDoc) script() taskScript {
	s := d.Script
	return taskScript{Repository: s.Repository, Branch: s.Branch, Commit: s.VersionNum,
		EntryPoint: s.EntryPoint, WorkingDir: s.WorkingDir}
}

// params lists hyperparameters by section, then name.
func (d taskDoc) params() []paramRow {
	var out []paramRow
	for section, items := range d.Hyperparams {
		for name, it := range items {
			out = append(out, paramRow{Section: section, Name: orDefault(it.str("name"), name),
				Value: it.str("value"), Type: it.str("type"), Description: it.str("description")})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Section != out[j].Section {
			return out[i].Section < out[j].Section
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// configs lists the configuration objects' names.
func (d taskDoc) configs() []string {
	out := make([]string, 0, len(d.Configuration))
	for name := range d.Configuration {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

func (d taskDoc) artifacts() []artifactRow {
	out := make([]artifactRow, 0, len(d.Execution.Artifacts))
	for _, a := range d.Execution.Artifacts {
		out = append(out, artifactRow{Key: a.str("key"), Type: a.str("type"),
			Mode: orDefault(a.str("mode"), "output"), URI: a.str("uri")})
	}
	return out
}

func (d taskDoc) models() []modelRef {
	var out []modelRef
	for _, m := range d.Models.Input {
		out = append(out, modelRef{Mode: "input", Name: orDefault(m.Name, m.Model), ID: m.Model})
	}
	for _, m := range d.Models.Output {
		out = append(out, modelRef{Mode: "output", Name: orDefault(m.Name, m.Model), ID: m.Model})
	}
	return out
}

// logField reads a string field of a log event as sent.
func logField(doc json.RawMessage, key string) string {
	var ev map[string]json.RawMessage
	if json.Unmarshal(doc, &ev) != nil {
		return ""
	}
	return rawText(ev[key])
}
