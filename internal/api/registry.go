package api

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"atrium/internal/registry"
)

// registryEndpoints lists the workload registry's endpoints (projects, tasks, models,
// queues, workers, events); each service lives in its own file.
func (a *API) registryEndpoints() []*Endpoint {
	var out []*Endpoint
	for _, group := range [][]*Endpoint{a.projectEndpoints(), a.taskEndpoints(),
		a.taskFieldEndpoints(), a.modelEndpoints(), a.queueEndpoints(), a.workerEndpoints(),
		a.eventEndpoints()} {
		out = append(out, group...)
	}
	return out
}

// stringList accepts a JSON array of strings or a single string, as clients send ids
// both ways.
type stringList []string

// UnmarshalJSON reads a string or an array of strings; null is an empty list.
func (l *stringList) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case string(b) == "null":
		*l = nil
		return nil
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*l = stringList{s}
		return nil
	}
	var list []string
	if err := json.Unmarshal(b, &list); err != nil {
		return err
	}
	*l = list
	return nil
}

// listQuery holds the listing parameters every get_all shares.
type listQuery struct {
	ID           stringList `json:"id"`
	Name         string     `json:"name"`
	OnlyFields   []string   `json:"only_fields"`
	Page         *int       `json:"page"`
	PageSize     *int       `json:"page_size"`
	OrderBy      stringList `json:"order_by"`
	Tags         stringList `json:"tags"`
	SystemTags   stringList `json:"system_tags"`
	SearchHidden bool       `json:"search_hidden"`
}

// page turns ClearML's page and page_size into an offset and a limit.
func (q listQuery) page() (registry.Page, error) {
	page, size, err := paging(q.Page, q.PageSize)
	if err != nil {
		return registry.Page{}, err
	}
	return registry.Page{Limit: size, Offset: page * size}, nil
}

// withDoc renders fixed fields followed by the keys of a stored JSON object document
// (a task's or a model's free-form sections), without decoding the document.
type withDoc struct {
	fixed any
	doc   json.RawMessage
}

// MarshalJSON splices the document's keys into the fixed object.
func (w withDoc) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal(w.fixed)
	if err != nil {
		return nil, err
	}
	doc := bytes.TrimSpace(w.doc)
	if len(doc) < 3 || doc[0] != '{' || len(b) < 2 {
		return b, nil
	}
	out := make([]byte, 0, len(b)+len(doc))
	out = append(out, b[:len(b)-1]...)
	out = append(out, ',')
	return append(out, doc[1:]...), nil
}

// selectFields applies only_fields to a rendered object. When no field reaches into
// the document, the document is not rendered at all.
func selectFields(v withDoc, fields []string, sections []string) any {
	if len(fields) == 0 {
		return v
	}
	for _, f := range fields {
		head, _, _ := strings.Cut(f, ".")
		for _, s := range sections {
			if head == s {
				return onlyFields(v, fields)
			}
		}
	}
	return onlyFields(v.fixed, fields)
}

// fieldsOf renders the named fields of v, for the "fields" of update answers.
func fieldsOf(v any, names []string) map[string]any {
	out := map[string]any{}
	if len(names) == 0 {
		return out
	}
	b, err := json.Marshal(v)
	if err != nil {
		return out
	}
	var m map[string]any
	if json.Unmarshal(b, &m) != nil {
		return out
	}
	for _, n := range names {
		if val, ok := m[n]; ok {
			out[n] = val
		}
	}
	return out
}

// taskRef is the task id and force flag most task calls carry.
type taskRef struct {
	Task  string `json:"task"`
	Force bool   `json:"force"`
}

func (r taskRef) check() error {
	if r.Task == "" {
		return missing("task")
	}
	return nil
}

// urlsJSON is the "urls" of ClearML's delete and reset answers: the stored files that
// belonged to what was removed.
type urlsJSON struct {
	ModelURLs    []string `json:"model_urls"`
	EventURLs    []string `json:"event_urls"`
	ArtifactURLs []string `json:"artifact_urls"`
}

func urlsOut(c registry.Cleanup) urlsJSON {
	nonNil := func(l []string) []string {
		if l == nil {
			return []string{}
		}
		return l
	}
	return urlsJSON{ModelURLs: nonNil(c.ModelURLs), EventURLs: nonNil(c.EventURLs),
		ArtifactURLs: nonNil(c.ArtifactURLs)}
}

// taskList renders tasks as the JSON array tasks.get_all returns, byte for byte what
// json.Marshal makes of taskOut, without reflection: a page of 500 tasks is most of the
// call's cost otherwise.
func taskList(tasks []registry.Task) json.RawMessage {
	size := 2
	for _, t := range tasks {
		size += 640 + len(t.Doc) + len(t.Name) + len(t.Comment) + len(t.StatusMessage)
	}
	buf := make([]byte, 0, size)
	buf = append(buf, '[')
	for i, t := range tasks {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendTask(buf, t)
	}
	return append(buf, ']')
}

func appendTask(b []byte, t registry.Task) []byte {
	b = appendStr(append(b, `{"id":`...), t.ID)
	b = appendStr(append(b, `,"name":`...), t.Name)
	b = appendStr(append(b, `,"user":`...), t.UserID)
	b = appendStr(append(b, `,"company":`...), t.WorkspaceID)
	b = appendStr(append(b, `,"type":`...), t.Type)
	b = appendStr(append(b, `,"status":`...), string(t.Status))
	b = appendStr(append(b, `,"status_reason":`...), t.StatusReason)
	b = appendStr(append(b, `,"status_message":`...), t.StatusMessage)
	b = appendTime(b, "status_changed", t.StatusChangedAt)
	b = appendStr(append(b, `,"comment":`...), t.Comment)
	b = appendOptStr(b, "project", t.ProjectID)
	b = appendOptStr(b, "parent", t.ParentID)
	b = appendStrs(append(b, `,"tags":`...), t.Tags)
	b = appendStrs(append(b, `,"system_tags":`...), t.SystemTags)
	b = appendTime(b, "created", t.CreatedAt)
	b = appendTime(b, "started", t.StartedAt)
	b = appendTime(b, "completed", t.CompletedAt)
	b = appendTime(b, "published", t.PublishedAt)
	b = appendTime(b, "last_update", t.LastUpdate)
	b = appendTime(b, "last_change", t.LastUpdate)
	b = strconv.AppendInt(append(b, `,"last_iteration":`...), t.LastIteration, 10)
	b = appendOptStr(b, "last_worker", t.LastWorker)
	b = appendOptStr(b, "enqueue_status", string(t.EnqueueStatus))
	doc := bytes.TrimSpace(t.Doc)
	if len(doc) < 3 || doc[0] != '{' {
		return append(b, '}')
	}
	return append(append(b, ','), doc[1:]...)
}

func appendOptStr(b []byte, key, v string) []byte {
	if v == "" {
		return b
	}
	return appendStr(append(append(append(b, ",\""...), key...), "\":"...), v)
}

func appendTime(b []byte, key string, t time.Time) []byte {
	if t.IsZero() {
		return b
	}
	b = append(append(append(b, ",\""...), key...), "\":\""...)
	return append(appendISO(b, t.UTC()), '"')
}

// appendISO writes t (in UTC) as Time does, "2006-01-02T15:04:05.000000+00:00", without
// going through the general formatter.
func appendISO(b []byte, t time.Time) []byte {
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return t.AppendFormat(b, "2006-01-02T15:04:05.000000+00:00")
	}
	hour, minute, sec := t.Clock()
	b = appendDigits(b, year, 4)
	b = appendDigits(append(b, '-'), int(month), 2)
	b = appendDigits(append(b, '-'), day, 2)
	b = appendDigits(append(b, 'T'), hour, 2)
	b = appendDigits(append(b, ':'), minute, 2)
	b = appendDigits(append(b, ':'), sec, 2)
	b = appendDigits(append(b, '.'), t.Nanosecond()/1000, 6)
	return append(b, "+00:00"...)
}

func appendDigits(b []byte, v, width int) []byte {
	var d [8]byte
	for i := width - 1; i >= 0; i-- {
		d[i] = byte('0' + v%10)
		v /= 10
	}
	return append(b, d[:width]...)
}

func appendStrs(b []byte, list []string) []byte {
	if list == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, s := range list {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendStr(b, s)
	}
	return append(b, ']')
}

// appendStr writes s as a JSON string the way encoding/json does: HTML-sensitive
// characters, control characters and invalid UTF-8 are escaped or replaced.
func appendStr(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			b = appendEscape(b, c)
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			if r == utf8.RuneError {
				b = append(b, `\ufffd`...)
			} else {
				b = append(b, `\u202`...)
				b = append(b, "0123456789abcdef"[r&0xf])
			}
			i += size
			start = i
			continue
		}
		i += size
	}
	return append(append(b, s[start:]...), '"')
}

func appendEscape(b []byte, c byte) []byte {
	switch c {
	case '"', '\\':
		return append(b, '\\', c)
	case '\n':
		return append(b, '\\', 'n')
	case '\r':
		return append(b, '\\', 'r')
	case '\t':
		return append(b, '\\', 't')
	case '\b':
		return append(b, '\\', 'b')
	case '\f':
		return append(b, '\\', 'f')
	}
	const hex = "0123456789abcdef"
	return append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
}
