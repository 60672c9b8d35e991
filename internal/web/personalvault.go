package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"atrium/internal/apperr"
	"atrium/internal/vault"
)

// personalDescription names a personal vault made on the Workspace page.
const personalDescription = "Personal configuration"

// editorView is a vault's text editor: a monospace textarea named "data", and the
// error of a refused save placed at its line.
type editorView struct {
	ID    string // the textarea's id
	Label string
	Hint  string
	Data  string
	Rows  int
	Error *editorError
}

// personalVaultView is the personal vault card of the Workspace page: the caller's own
// client configuration vault (the first one, when there are several) and its form.
type personalVaultView struct {
	Exists   bool
	ID       string
	Version  int
	Enabled  bool
	Formats  []choice
	Editor   editorView
	Updated  when
	Errors   fieldErrors // for the form as a whole: a conflict, a server failure
	Conflict bool        // someone saved the vault after this editor loaded it
	Others   []ownedVault
}

// ownedVault is another vault of the caller's, listed under the editor.
type ownedVault struct {
	ID      string
	Name    string
	Target  string
	Format  string
	Enabled bool
}

// personalInput is what the personal vault form holds.
type personalInput struct {
	ID      string
	Version int
	Format  vault.Format
	Enabled bool
	Data    string
}

func personalInputOf(r *http.Request) personalInput {
	version, _ := strconv.Atoi(r.PostForm.Get("version"))
	return personalInput{ID: strings.TrimSpace(r.PostForm.Get("id")), Version: version,
		Format: formatOf(r.PostForm.Get("format")), Enabled: r.PostForm.Get("enabled") != "",
		Data: normalizeNewlines(r.PostForm.Get("data"))}
}

// personalVault loads the caller's own vaults: the first client configuration one into
// the editor, the others as a list.
func (w *Web) personalVault(ctx context.Context) (personalVaultView, error) {
	v := personalVaultView{Formats: formatChoices(vault.FormatHOCON), Errors: fieldErrors{},
		Editor: personalEditor("")}
	owned, err := w.svc.Vaults.Owned(ctx, "")
	if err != nil {
		return v, err
	}
	for _, o := range owned {
		if !v.Exists && o.Type == vault.TypeConfig {
			v.Exists, v.ID, v.Version, v.Enabled = true, o.ID, o.Version, o.Enabled
			v.Formats, v.Editor.Data = formatChoices(o.Format), o.Data
			v.Updated = pastOf(w.now(), o.UpdatedAt)
			continue
		}
		v.Others = append(v.Others, ownedVault{ID: o.ID, Name: vaultName(o),
			Target: targetLabel(o.Type), Format: formatLabel(o.Format), Enabled: o.Enabled})
	}
	return v, nil
}

func personalEditor(data string) editorView {
	return editorView{ID: "vault-data", Label: "Content", Data: data, Rows: 16,
		Hint: "ClearML configuration in the chosen format, as in clearml.conf: for example " +
			"sdk.aws.s3.key or agent.extra_docker_arguments. It is merged over each " +
			"client's own file."}
}

// savePersonalVault creates or updates the caller's personal vault. The form carries the
// version it loaded, so a save over someone else's newer change is refused, not merged.
func (w *Web) savePersonalVault(rw http.ResponseWriter, r *http.Request, s *session) {
	in := personalInputOf(r)
	err := w.checkPersonalTarget(r.Context(), in)
	if err == nil {
		err = w.storePersonalVault(r.Context(), in)
	}
	if err != nil {
		w.personalVaultError(rw, r, s, in, err)
		return
	}
	notice := "vault-off"
	if in.Enabled {
		notice = "vault-on"
	}
	http.Redirect(rw, r, pathWorkspace+"?notice="+notice+"#vault", http.StatusSeeOther)
}

// checkPersonalTarget makes sure the form edits the caller's own client configuration
// vault, and that a form opened before the vault existed does not make a second one.
func (w *Web) checkPersonalTarget(ctx context.Context, in personalInput) error {
	current, err := w.personalVault(ctx)
	if err != nil {
		return err
	}
	switch {
	case in.ID == "" && current.Exists:
		return apperr.Conflictf("Your personal vault was created in another window after " +
			"this page loaded; reload it and apply your change again")
	case in.ID != "" && in.ID != current.ID:
		return apperr.Conflictf("This is no longer your personal vault; reload the page")
	}
	return nil
}

func (w *Web) storePersonalVault(ctx context.Context, in personalInput) error {
	if len(in.Data) > vault.MaxData {
		return fieldError("data", "The content is larger than 1 MiB.")
	}
	vi := vault.Input{ID: in.ID, Type: vault.TypeConfig, Format: in.Format, Data: &in.Data,
		Enabled: &in.Enabled, Version: in.Version}
	if in.ID == "" {
		desc := personalDescription
		vi.Scope, vi.Description = vault.ScopeUser, &desc
	}
	_, err := w.svc.Vaults.Save(ctx, vi)
	return err
}

// personalVaultError re-renders the Workspace page with the refused vault form as sent.
func (w *Web) personalVaultError(rw http.ResponseWriter, r *http.Request, s *session,
	in personalInput, err error) {
	errs, status := w.formFailure(r, err, map[string]string{"data": "data"})
	w.workspaceError(rw, r, s, status, func(v *workspaceView) {
		pv := v.Vault
		pv.ID, pv.Version, pv.Enabled = in.ID, in.Version, in.Enabled
		pv.Formats = formatChoices(in.Format)
		pv.Editor.Data = in.Data
		pv.Editor.Error = editorErrorOf(errs.For("data"), in.Data)
		pv.Errors, pv.Conflict = errs, status == http.StatusConflict
		v.Vault = pv
	})
}
