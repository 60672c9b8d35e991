package registry

import (
	"context"
	"encoding/json"
	"slices"
	"sort"
)

// Item is one entry of a task's hyperparameters, configuration, artifacts or model
// references as clients send it; every key is kept as sent.
type Item map[string]json.RawMessage

// Str returns a string field of the item, or "".
func (it Item) Str(key string) string {
	var s string
	if raw, ok := it[key]; ok {
		json.Unmarshal(raw, &s)
	}
	return s
}

func (it Item) setStr(key, v string) {
	b, _ := json.Marshal(v)
	it[key] = b
}

// TaskItems is one task's items, for the get_hyper_params and get_configurations calls.
type TaskItems struct {
	TaskID string
	Items  []Item
}

// SetRequirements replaces script.requirements (pip, conda, ...) of a task.
func (s *Service) SetRequirements(ctx context.Context, id string, reqs json.RawMessage,
	force bool) (Task, error) {
	if len(reqs) == 0 || reqs[0] != '{' {
		return Task{}, missingField("requirements")
	}
	return s.editDoc(ctx, id, "task.set_requirements", force, nil,
		func(sec Sections) error { return sec.SetField("script", "requirements", reqs) })
}

// editDoc runs fn on the decoded document of an editable task and writes it back.
func (s *Service) editDoc(ctx context.Context, id, action string, force bool,
	details map[string]any, fn func(Sections) error) (Task, error) {
	return s.updateTask(ctx, id, action, func(ctx context.Context, ws string, t *Task) error {
		if err := editable(*t, force); err != nil {
			return err
		}
		sec, err := DecodeSections(t.Doc)
		if err != nil {
			return err
		}
		if err := fn(sec); err != nil {
			return err
		}
		t.Doc, err = sec.Encode()
		return err
	}, func() map[string]any { return details })
}

// EditHyperParams adds or replaces hyperparameters. replace is ClearML's
// replace_hyperparams: "none" merges, "section" replaces the sections named in items,
// "all" replaces everything.
func (s *Service) EditHyperParams(ctx context.Context, id string, items []Item,
	replace string, force bool) (Task, error) {
	for _, it := range items {
		if it.Str("name") == "" {
			return Task{}, missingField("hyperparams.name")
		}
	}
	return s.editDoc(ctx, id, "task.edit_hyper_params", force,
		map[string]any{"count": len(items), "replace": replace}, func(sec Sections) error {
			hp, err := hyperparams(sec)
			if err != nil {
				return err
			}
			mergeParams(hp, items, replace)
			return setSection(sec, "hyperparams", hp)
		})
}

func hyperparams(sec Sections) (map[string]map[string]Item, error) {
	hp := map[string]map[string]Item{}
	if raw := sec["hyperparams"]; len(raw) > 0 && string(raw) != "null" {
		if err := json.Unmarshal(raw, &hp); err != nil {
			return nil, validation("hyperparams: %v", err)
		}
	}
	return hp, nil
}

func mergeParams(hp map[string]map[string]Item, items []Item, replace string) {
	switch replace {
	case "all":
		clear(hp)
	case "section":
		for _, it := range items {
			delete(hp, sectionOf(it))
		}
	}
	for _, it := range items {
		section := sectionOf(it)
		it.setStr("section", section)
		if hp[section] == nil {
			hp[section] = map[string]Item{}
		}
		hp[section][it.Str("name")] = it
	}
}

// sectionOf is an item's section; ClearML's SDK puts unsectioned parameters in "General".
func sectionOf(it Item) string {
	if s := it.Str("section"); s != "" {
		return s
	}
	return "General"
}

func setSection(sec Sections, name string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	sec[name] = b
	return nil
}

// EditConfiguration adds or replaces configuration items by name; replace drops the
// others.
func (s *Service) EditConfiguration(ctx context.Context, id string, items []Item,
	replace, force bool) (Task, error) {
	for _, it := range items {
		if it.Str("name") == "" {
			return Task{}, missingField("configuration.name")
		}
	}
	return s.editDoc(ctx, id, "task.edit_configuration", force,
		map[string]any{"count": len(items), "replace": replace}, func(sec Sections) error {
			conf, err := configuration(sec)
			if err != nil {
				return err
			}
			if replace {
				clear(conf)
			}
			for _, it := range items {
				conf[it.Str("name")] = it
			}
			return setSection(sec, "configuration", conf)
		})
}

func configuration(sec Sections) (map[string]Item, error) {
	conf := map[string]Item{}
	if raw := sec["configuration"]; len(raw) > 0 && string(raw) != "null" {
		if err := json.Unmarshal(raw, &conf); err != nil {
			return nil, validation("configuration: %v", err)
		}
	}
	return conf, nil
}

// ArtifactKey names an artifact: its key and mode ("output" when empty).
type ArtifactKey struct {
	Key  string
	Mode string
}

func artifactKey(it Item) ArtifactKey {
	mode := it.Str("mode")
	if mode == "" {
		mode = "output"
	}
	return ArtifactKey{Key: it.Str("key"), Mode: mode}
}

// AddOrUpdateArtifacts adds artifacts to execution.artifacts, replacing those with the
// same key and mode. It returns how many it wrote.
func (s *Service) AddOrUpdateArtifacts(ctx context.Context, id string, items []Item,
	force bool) (int, error) {
	for _, it := range items {
		if it.Str("key") == "" || it.Str("type") == "" {
			return 0, missingField("artifacts.key", "artifacts.type")
		}
	}
	_, err := s.editDoc(ctx, id, "task.add_or_update_artifacts", force,
		map[string]any{"count": len(items)}, func(sec Sections) error {
			arts, err := artifacts(sec)
			if err != nil {
				return err
			}
			for _, it := range items {
				arts = upsertArtifact(arts, it)
			}
			return sec.SetField("execution", "artifacts", arts)
		})
	return len(items), err
}

func artifacts(sec Sections) ([]Item, error) {
	var arts []Item
	if err := sec.Field("execution", "artifacts", &arts); err != nil {
		return nil, validation("execution.artifacts: %v", err)
	}
	return arts, nil
}

func upsertArtifact(arts []Item, it Item) []Item {
	k := artifactKey(it)
	for i, a := range arts {
		if artifactKey(a) == k {
			arts[i] = it
			return arts
		}
	}
	return append(arts, it)
}

// DeleteArtifacts removes artifacts by key and mode and returns how many it removed.
func (s *Service) DeleteArtifacts(ctx context.Context, id string, keys []ArtifactKey,
	force bool) (int, error) {
	n := 0
	_, err := s.editDoc(ctx, id, "task.delete_artifacts", force,
		map[string]any{"count": len(keys)}, func(sec Sections) error {
			arts, err := artifacts(sec)
			if err != nil {
				return err
			}
			kept := arts[:0]
			for _, a := range arts {
				if slices.ContainsFunc(keys, func(k ArtifactKey) bool {
					return k.Key == a.Str("key") && (k.Mode == "" || k.Mode == artifactKey(a).Mode)
				}) {
					n++
					continue
				}
				kept = append(kept, a)
			}
			return sec.SetField("execution", "artifacts", kept)
		})
	return n, err
}

// ModelRef is a task's reference to a model: models.input or models.output.
type ModelRef struct {
	Name    string
	ModelID string
	Type    string // "input" or "output"
}

// AddOrUpdateModel adds a model reference to the task, replacing one of the same name
// and type.
func (s *Service) AddOrUpdateModel(ctx context.Context, id string, ref ModelRef,
	force bool) (Task, error) {
	if ref.Name == "" || ref.ModelID == "" {
		return Task{}, missingField("name", "model")
	}
	if ref.Type != "input" && ref.Type != "output" {
		return Task{}, validation("type must be input or output")
	}
	return s.editDoc(ctx, id, "task.add_or_update_model", force,
		map[string]any{"name": ref.Name, "model": ref.ModelID, "type": ref.Type},
		func(sec Sections) error {
			var list []Item
			if err := sec.Field("models", ref.Type, &list); err != nil {
				return validation("models.%s: %v", ref.Type, err)
			}
			entry := Item{}
			entry.setStr("name", ref.Name)
			entry.setStr("model", ref.ModelID)
			list = slices.DeleteFunc(list, func(it Item) bool { return it.Str("name") == ref.Name })
			return sec.SetField("models", ref.Type, append(list, entry))
		})
}

// DeleteModelRefs removes model references by name and type and returns the count.
func (s *Service) DeleteModelRefs(ctx context.Context, id string, refs []ModelRef,
	force bool) (int, error) {
	n := 0
	_, err := s.editDoc(ctx, id, "task.delete_models", force,
		map[string]any{"count": len(refs)}, func(sec Sections) error {
			for _, typ := range []string{"input", "output"} {
				var list []Item
				if err := sec.Field("models", typ, &list); err != nil {
					return validation("models.%s: %v", typ, err)
				}
				before := len(list)
				list = slices.DeleteFunc(list, func(it Item) bool {
					return slices.Contains(refs, ModelRef{Name: it.Str("name"), Type: typ})
				})
				n += before - len(list)
				if err := sec.SetField("models", typ, list); err != nil {
					return err
				}
			}
			return nil
		})
	return n, err
}

// HyperParams returns the hyperparameters of the given tasks, flattened and sorted by
// section and name.
func (s *Service) HyperParams(ctx context.Context, ids []string) ([]TaskItems, error) {
	return s.taskItems(ctx, ids, func(sec Sections) ([]Item, error) {
		hp, err := hyperparams(sec)
		if err != nil {
			return nil, err
		}
		var out []Item
		for _, section := range sortedKeys(hp) {
			for _, name := range sortedKeys(hp[section]) {
				out = append(out, hp[section][name])
			}
		}
		return out, nil
	})
}

// Configurations returns the configuration items of the given tasks, only those named
// in names when it is not empty.
func (s *Service) Configurations(ctx context.Context, ids, names []string) (
	[]TaskItems, error) {
	return s.taskItems(ctx, ids, func(sec Sections) ([]Item, error) {
		conf, err := configuration(sec)
		if err != nil {
			return nil, err
		}
		var out []Item
		for _, name := range sortedKeys(conf) {
			if len(names) == 0 || slices.Contains(names, name) {
				out = append(out, conf[name])
			}
		}
		return out, nil
	})
}

func (s *Service) taskItems(ctx context.Context, ids []string,
	fn func(Sections) ([]Item, error)) ([]TaskItems, error) {
	if len(ids) == 0 {
		return nil, missingField("tasks")
	}
	tasks, err := s.Tasks(ctx, TaskQuery{IDs: ids, SearchHidden: true})
	if err != nil {
		return nil, err
	}
	out := make([]TaskItems, 0, len(tasks))
	for _, t := range tasks {
		sec, err := DecodeSections(t.Doc)
		if err != nil {
			return nil, err
		}
		items, err := fn(sec)
		if err != nil {
			return nil, err
		}
		out = append(out, TaskItems{TaskID: t.ID, Items: items})
	}
	return out, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
