// Package cli implements atrium's commands: serve, version, and the administration
// commands for automation and recovery.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"strings"

	"atrium/internal/config"
)

// Version is Atrium's version, set at link time with -X atrium/internal/cli.Version=...
var Version = "0.1.0-dev"

// IO is where a command reads and writes, and how it sees the environment.
type IO struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
	Env config.Env
}

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, io IO) error
}

func commands() []command {
	return []command{
		{"serve", "run the server", runServe},
		{"version", "print the version", runVersion},
		{"migrate", "apply database migrations and exit", runMigrate},
		{"config", "print the effective configuration with secrets redacted", runConfig},
		{"user", "manage people (user create|list|set-role|deactivate|reactivate|remove|" +
			"reset-password|reset-2fa)", runUser},
		{"credentials", "create API credentials for a user (credentials create)", runCredentials},
		{"backup", "copy the embedded database to a file", runBackup},
		{"restore", "replace the embedded database with a backup (server stopped)", runRestore},
	}
}

// errUsage marks a command-line mistake: exit code 2.
var errUsage = errors.New("usage")

// Run executes the command in args and returns the process exit code.
func Run(ctx context.Context, args []string, io IO) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(io.Out)
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, args[1:], io)
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.Is(err, errUsage):
			fmt.Fprintln(io.Err, "atrium:", err)
			return 2
		}
		fmt.Fprintln(io.Err, "atrium:", err)
		return 1
	}
	fmt.Fprintf(io.Err, "atrium: unknown command %q\n", args[0])
	usage(io.Err)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: atrium <command> [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-12s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'atrium <command> -h' for a command's flags.")
}

func runVersion(_ context.Context, _ []string, io IO) error {
	commit := ""
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" {
				commit = s.Value
			}
		}
	}
	fmt.Fprintf(io.Out, "atrium %s", Version)
	if commit != "" {
		fmt.Fprintf(io.Out, " (%s)", commit)
	}
	fmt.Fprintln(io.Out)
	return nil
}

// configFlags are the flags every command that touches the database shares.
type configFlags struct {
	fs                                           *flag.FlagSet
	addr, data, db, publicURL, cfgFile, logLevel string
}

func newConfigFlags(name string, io IO) *configFlags {
	f := &configFlags{fs: flag.NewFlagSet(name, flag.ContinueOnError)}
	f.fs.SetOutput(io.Err)
	f.fs.StringVar(&f.addr, "addr", "", "listen address (ATRIUM_ADDR, default 127.0.0.1:8008)")
	f.fs.StringVar(&f.data, "data", "", "data folder (ATRIUM_DATA, default ./atrium-data)")
	f.fs.StringVar(&f.db, "db", "", "postgres:// URL (ATRIUM_DB, default SQLite in the data folder)")
	f.fs.StringVar(&f.publicURL, "public-url", "", "external URL (ATRIUM_PUBLIC_URL)")
	f.fs.StringVar(&f.cfgFile, "config", "", "YAML config file (ATRIUM_CONFIG)")
	f.fs.StringVar(&f.logLevel, "log-level", "", "debug, info, warn or error (ATRIUM_LOG_LEVEL)")
	return f
}

// load layers defaults, the config file, the environment and the flags given.
func (f *configFlags) load(io IO) (config.Config, error) {
	cfg := config.Default()
	path := f.cfgFile
	if path == "" {
		path, _ = io.Env("ATRIUM_CONFIG")
	}
	if path != "" {
		if err := cfg.LoadFile(path); err != nil {
			return cfg, err
		}
	}
	cfg.ApplyEnv(io.Env)
	f.fs.Visit(func(fl *flag.Flag) {
		v := fl.Value.String()
		switch fl.Name {
		case "addr":
			cfg.Addr = v
		case "data":
			cfg.Data = v
		case "db":
			cfg.DB = v
		case "public-url":
			cfg.PublicURL = v
		case "log-level":
			cfg.LogLevel = v
		}
	})
	if err := cfg.Validate(); err != nil {
		return cfg, fmt.Errorf("invalid configuration:\n%w", err)
	}
	return cfg, nil
}

func (f *configFlags) parse(args []string) error {
	if err := f.fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if f.fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, f.fs.Arg(0))
	}
	return nil
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	level.UnmarshalText([]byte(strings.ToUpper(cfg.LogLevel)))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func runConfig(_ context.Context, args []string, io IO) error {
	f := newConfigFlags("config", io)
	if err := f.parse(args); err != nil {
		return err
	}
	cfg, err := f.load(io)
	if err != nil {
		return err
	}
	fmt.Fprint(io.Out, cfg.Redacted())
	return nil
}
