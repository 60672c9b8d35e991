package cli

import (
	"context"
	"fmt"

	"atrium/internal/server"
)

func runServe(ctx context.Context, args []string, io IO) error {
	f := newConfigFlags("serve", io)
	if err := f.parse(args); err != nil {
		return err
	}
	cfg, err := f.load(io)
	if err != nil {
		return err
	}
	log := newLogger(cfg, io.Err)
	srv, err := server.Open(ctx, cfg, log, server.Build{Version: Version})
	if err != nil {
		return fmt.Errorf("start: %w", err)
	}
	return srv.Serve(ctx)
}

func runMigrate(ctx context.Context, args []string, io IO) error {
	f := newConfigFlags("migrate", io)
	if err := f.parse(args); err != nil {
		return err
	}
	cfg, err := f.load(io)
	if err != nil {
		return err
	}
	st, err := server.OpenStore(ctx, cfg, newLogger(cfg, io.Err))
	if err != nil {
		return err
	}
	fmt.Fprintln(io.Out, "database is up to date")
	return st.Close()
}
