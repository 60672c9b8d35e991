package cli

import (
	"bufio"
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"text/tabwriter"

	"atrium/internal/audit"
	"atrium/internal/identity"
	"atrium/internal/secret"
	"atrium/internal/server"
	"atrium/internal/store"
)

// shell opens the store and services for an administration command.
type shell struct {
	st  *store.Store
	svc server.Services
}

func openShell(ctx context.Context, f *configFlags, io IO) (*shell, error) {
	cfg, err := f.load(io)
	if err != nil {
		return nil, err
	}
	log := newLogger(cfg, io.Err)
	st, err := server.OpenStore(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	svc, err := server.NewServices(ctx, cfg, st, log, Version)
	if err != nil {
		st.Close()
		return nil, err
	}
	// Flush buffered writes (none expected) before closing.
	return &shell{st: st, svc: svc}, nil
}

func (s *shell) close(ctx context.Context) {
	s.svc.Credentials.Flush(ctx)
	s.st.Close()
}

// asShell marks changes made from the command line in the audit log.
func asShell(ctx context.Context, workspaceID string) context.Context {
	return audit.WithActor(ctx, audit.Actor{WorkspaceID: workspaceID, Name: "atrium shell",
		Address: "local"})
}

func readPassword(io IO, fromStdin bool) (string, bool, error) {
	if !fromStdin {
		return base64.RawURLEncoding.EncodeToString(secret.Random(18)), true, nil
	}
	line, err := bufio.NewReader(io.In).ReadString('\n')
	if err != nil && line == "" {
		return "", false, fmt.Errorf("read password from standard input: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), false, nil
}

func runUser(ctx context.Context, args []string, io IO) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: atrium user create|list|set-role|deactivate|reactivate|remove|"+
			"reset-password|reset-2fa [flags]", errUsage)
	}
	switch args[0] {
	case "create":
		return userCreate(ctx, args[1:], io)
	case "reset-password":
		return userResetPassword(ctx, args[1:], io)
	case "reset-2fa":
		return userResetTwoFactor(ctx, args[1:], io)
	case "list":
		return userList(ctx, args[1:], io)
	case "set-role", "deactivate", "reactivate", "remove":
		return userChange(ctx, args[0], args[1:], io)
	}
	return fmt.Errorf("%w: unknown user command %q", errUsage, args[0])
}

func userCreate(ctx context.Context, args []string, io IO) error {
	f := newConfigFlags("user create", io)
	email := f.fs.String("email", "", "e-mail address (required)")
	name := f.fs.String("name", "", "display name (required)")
	role := f.fs.String("role", "user", "admin or user")
	stdin := f.fs.Bool("password-stdin", false, "read the password from standard input "+
		"instead of generating one")
	if err := f.parse(args); err != nil {
		return err
	}
	if *email == "" || *name == "" {
		return fmt.Errorf("%w: --email and --name are required", errUsage)
	}
	sh, err := openShell(ctx, f, io)
	if err != nil {
		return err
	}
	defer sh.close(ctx)
	ws, err := sh.svc.Identity.DefaultWorkspace(ctx)
	if err != nil {
		return err
	}
	password, generated, err := readPassword(io, *stdin)
	if err != nil {
		return err
	}
	u, err := sh.svc.Identity.CreateUser(asShell(ctx, ws.ID), ws.ID, *email, *name,
		identity.Role(*role), password)
	if err != nil {
		return err
	}
	fmt.Fprintf(io.Out, "user_id: %s\nemail: %s\n", u.ID, u.Email)
	if generated {
		fmt.Fprintf(io.Out, "password: %s\n", password)
	}
	return nil
}

func userResetPassword(ctx context.Context, args []string, io IO) error {
	f := newConfigFlags("user reset-password", io)
	email := f.fs.String("email", "", "e-mail address (required)")
	stdin := f.fs.Bool("password-stdin", false, "read the new password from standard input "+
		"instead of generating one")
	if err := f.parse(args); err != nil {
		return err
	}
	if *email == "" {
		return fmt.Errorf("%w: --email is required", errUsage)
	}
	sh, err := openShell(ctx, f, io)
	if err != nil {
		return err
	}
	defer sh.close(ctx)
	password, generated, err := readPassword(io, *stdin)
	if err != nil {
		return err
	}
	u, err := sh.svc.Identity.UserByEmail(ctx, *email)
	if err != nil {
		return fmt.Errorf("no user with e-mail %s", *email)
	}
	if _, err := sh.svc.Identity.ResetPassword(asShell(ctx, u.WorkspaceID), *email,
		password); err != nil {
		return err
	}
	fmt.Fprintf(io.Out, "password reset for %s\n", u.Email)
	if generated {
		fmt.Fprintf(io.Out, "password: %s\n", password)
	}
	return nil
}

// userResetTwoFactor turns a user's two-factor sign-in off, for someone who lost both
// their authenticator and their recovery codes. It acts as the workspace's first admin.
func userResetTwoFactor(ctx context.Context, args []string, io IO) error {
	f := newConfigFlags("user reset-2fa", io)
	email := f.fs.String("email", "", "e-mail address (required)")
	if err := f.parse(args); err != nil {
		return err
	}
	if *email == "" {
		return fmt.Errorf("%w: --email is required", errUsage)
	}
	sh, err := openShell(ctx, f, io)
	if err != nil {
		return err
	}
	defer sh.close(ctx)
	u, err := sh.svc.Identity.UserByEmail(ctx, *email)
	if err != nil {
		return fmt.Errorf("no user with e-mail %s", *email)
	}
	actx, err := sh.asAdmin(ctx)
	if err != nil {
		return err
	}
	if err := sh.svc.Identity.ResetTwoFactor(actx, u.ID); err != nil {
		return err
	}
	if !u.TwoFactorEnabled() {
		fmt.Fprintf(io.Out, "%s had no two-factor sign-in; nothing changed\n", u.Email)
		return nil
	}
	fmt.Fprintf(io.Out, "two-factor sign-in reset for %s\n", u.Email)
	return nil
}

func runCredentials(ctx context.Context, args []string, io IO) error {
	if len(args) == 0 || args[0] != "create" {
		return fmt.Errorf("%w: atrium credentials create --email EMAIL [--label LABEL]", errUsage)
	}
	f := newConfigFlags("credentials create", io)
	email := f.fs.String("email", "", "e-mail of the user the pair belongs to (required)")
	label := f.fs.String("label", "", "label for the pair")
	if err := f.parse(args[1:]); err != nil {
		return err
	}
	if *email == "" {
		return fmt.Errorf("%w: --email is required", errUsage)
	}
	sh, err := openShell(ctx, f, io)
	if err != nil {
		return err
	}
	defer sh.close(ctx)
	u, err := sh.svc.Identity.UserByEmail(ctx, *email)
	if err != nil {
		return fmt.Errorf("no user with e-mail %s", *email)
	}
	if u.Status != identity.StatusActive {
		return fmt.Errorf("%s is %s; only active users get credentials", u.Email, u.Status)
	}
	p, err := sh.svc.Identity.Principal(ctx, u.WorkspaceID, u.ID)
	if err != nil {
		return err
	}
	cctx := identity.WithPrincipal(asShell(ctx, u.WorkspaceID), p)
	created, err := sh.svc.Credentials.Create(cctx, *label, nil)
	if err != nil {
		return err
	}
	fmt.Fprintf(io.Out, "access_key: %s\nsecret_key: %s\n", created.AccessKey, created.SecretKey)
	fmt.Fprintln(io.Err, "The secret is shown only now; store it safely.")
	return nil
}

// asAdmin acts as the workspace's first active admin, so shell changes pass the same checks
// (last admin, seats) as changes made in the UI; the audit log names the shell.
func (s *shell) asAdmin(ctx context.Context) (context.Context, error) {
	ws, err := s.svc.Identity.DefaultWorkspace(ctx)
	if err != nil {
		return nil, err
	}
	admins, err := s.st.Users(ctx, ws.ID, identity.UserFilter{Kind: identity.KindPerson,
		Statuses: []identity.Status{identity.StatusActive}})
	if err != nil {
		return nil, err
	}
	for _, u := range admins {
		if u.Role == identity.RoleAdmin {
			p, err := s.svc.Identity.Principal(ctx, ws.ID, u.ID)
			if err != nil {
				return nil, err
			}
			return identity.WithPrincipal(asShell(ctx, ws.ID), p), nil
		}
	}
	return nil, fmt.Errorf("the workspace has no active admin; create one with 'atrium user create --role admin'")
}

func userList(ctx context.Context, args []string, io IO) error {
	f := newConfigFlags("user list", io)
	search := f.fs.String("search", "", "filter by name, e-mail or id")
	services := f.fs.Bool("service-accounts", false, "list service accounts instead of people")
	if err := f.parse(args); err != nil {
		return err
	}
	sh, err := openShell(ctx, f, io)
	if err != nil {
		return err
	}
	defer sh.close(ctx)
	actx, err := sh.asAdmin(ctx)
	if err != nil {
		return err
	}
	q := identity.UserQuery{Search: *search, Kind: identity.KindPerson}
	if *services {
		q.Kind = identity.KindService
	}
	page, err := sh.svc.Identity.UsersEx(actx, q)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(io.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tE-MAIL\tNAME\tROLE\tSTATUS\tLAST SIGN-IN")
	for _, u := range page.Users {
		last := "never"
		if !u.LastLoginAt.IsZero() {
			last = u.LastLoginAt.Format("2006-01-02 15:04") + " (" + u.LastLoginMethod + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", u.ID, u.Email, u.Name, u.Role, u.Status, last)
	}
	tw.Flush()
	fmt.Fprintf(io.Out, "%d users\n", page.Total)
	return nil
}

func userChange(ctx context.Context, action string, args []string, io IO) error {
	f := newConfigFlags("user "+action, io)
	email := f.fs.String("email", "", "e-mail of the user (or use --id)")
	id := f.fs.String("id", "", "user or service account id")
	role := f.fs.String("role", "", "new role for set-role: admin or user")
	if err := f.parse(args); err != nil {
		return err
	}
	if (*email == "") == (*id == "") {
		return fmt.Errorf("%w: give exactly one of --email and --id", errUsage)
	}
	if action == "set-role" && *role == "" {
		return fmt.Errorf("%w: --role is required", errUsage)
	}
	sh, err := openShell(ctx, f, io)
	if err != nil {
		return err
	}
	defer sh.close(ctx)
	actx, err := sh.asAdmin(ctx)
	if err != nil {
		return err
	}
	target := *id
	if *email != "" {
		u, err := sh.svc.Identity.UserByEmail(ctx, *email)
		if err != nil {
			return fmt.Errorf("no user with e-mail %s", *email)
		}
		target = u.ID
	}
	switch action {
	case "set-role":
		err = sh.svc.Identity.SetRole(actx, target, identity.Role(*role))
	case "deactivate":
		err = sh.svc.Identity.Deactivate(actx, target)
	case "reactivate":
		err = sh.svc.Identity.Reactivate(actx, target)
	case "remove":
		err = sh.svc.Identity.Remove(actx, target)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(io.Out, "%s: done for %s\n", action, target)
	return nil
}
