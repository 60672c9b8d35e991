package web

import (
	"net/http"
	"strconv"
	"strings"

	"atrium/internal/apperr"
	"atrium/internal/identity"
)

// cloudRow is one row of the web app cloud access table. Secrets are never sent back: the
// inputs stay empty and the hints show the last characters of what is stored.
type cloudRow struct {
	Index      int // -1 for the script's row template
	ID         string
	Bucket     string
	AccessKey  string
	SecretHint string
	TokenHint  string
	Region     string
	Endpoint   string
	Remove     bool
	Errors     fieldErrors
}

// Name is the prefix of the row's input names.
func (c cloudRow) Name() string { return rowName("rows", c.Index) }

func cloudRowsFrom(views []identity.CloudAccessView) []cloudRow {
	rows := make([]cloudRow, len(views))
	for i, v := range views {
		rows[i] = cloudRow{Index: i, ID: v.ID, Bucket: v.Bucket, AccessKey: v.AccessKey,
			SecretHint: v.SecretHint, TokenHint: v.TokenHint, Region: v.Region,
			Endpoint: v.Endpoint, Errors: fieldErrors{}}
	}
	return rows
}

// setCloud fills the table and adds a blank row for a new bucket.
func (v *configurationView) setCloud(rows []cloudRow) {
	next := 0
	for _, row := range rows {
		next = max(next, row.Index+1)
	}
	v.Cloud = append(rows, cloudRow{Index: next, Errors: fieldErrors{}})
	v.CloudNext = next + 1
}

// submittedCloud is the table as posted: the rows to show again on error, and the rows to
// store with the form index of each, to map the service's "rows.K.field" errors back.
type submittedCloud struct {
	shown  []cloudRow
	inputs []identity.CloudAccessInput
	index  []int // inputs[k] came from the row shown with Index index[k]
}

func parseCloudRows(r *http.Request) submittedCloud {
	var out submittedCloud
	get := func(i int, f string) string { return r.PostForm.Get(rowField("rows", i, f)) }
	for _, i := range rowIndexes(r.PostForm, "rows") {
		in := identity.CloudAccessInput{ID: get(i, "id"), Bucket: get(i, "bucket"),
			AccessKey: get(i, "key"), Secret: get(i, "secret"), Token: get(i, "token"),
			Region: get(i, "region"), Endpoint: get(i, "endpoint")}
		if in.ID == "" && strings.TrimSpace(in.Bucket+in.AccessKey+in.Secret+in.Token+
			in.Region+in.Endpoint) == "" {
			continue
		}
		row := cloudRow{Index: i, ID: in.ID, Bucket: in.Bucket, AccessKey: in.AccessKey,
			Region: in.Region, Endpoint: in.Endpoint, Remove: get(i, "remove") == "on",
			Errors: fieldErrors{}}
		out.shown = append(out.shown, row)
		if !row.Remove {
			out.inputs = append(out.inputs, in)
			out.index = append(out.index, i)
		}
	}
	return out
}

func (w *Web) saveCloudAccess(rw http.ResponseWriter, r *http.Request, s *session) {
	sub := parseCloudRows(r)
	err := w.svc.Identity.SetCloudAccess(r.Context(), sub.inputs)
	if err == nil {
		redirectNotice(rw, r, pathConfiguration, "cloud")
		return
	}
	errs, status := w.formFailure(r, err, nil)
	row, field := sub.rowOf(err)
	w.configurationError(rw, r, s, status, func(v *configurationView) {
		hints := map[string]cloudRow{}
		for _, old := range v.Cloud {
			hints[old.ID] = old
		}
		for i := range sub.shown {
			sr := &sub.shown[i]
			sr.SecretHint, sr.TokenHint = hints[sr.ID].SecretHint, hints[sr.ID].TokenHint
			if sr.Index == row {
				sr.Errors[field] = errs.Form()
				errs = fieldErrors{"": "This table has an error; see the marked row."}
			}
		}
		v.CloudErrors = errs
		v.setCloud(sub.shown)
	})
}

// rowOf finds the form row and the input a "rows.K.field" error is about; row is -1 when
// the error names no row.
func (sub submittedCloud) rowOf(err error) (row int, field string) {
	e := apperr.As(err)
	if e == nil {
		return -1, ""
	}
	rest, ok := strings.CutPrefix(e.Field, "rows.")
	if !ok {
		return -1, ""
	}
	num, field, _ := strings.Cut(rest, ".")
	k, convErr := strconv.Atoi(num)
	if convErr != nil || k < 0 || k >= len(sub.index) {
		return -1, ""
	}
	return sub.index[k], field
}
