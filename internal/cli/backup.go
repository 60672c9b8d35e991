package cli

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"

	"atrium/internal/store"
)

func runBackup(ctx context.Context, args []string, io IO) error {
	f := newConfigFlags("backup", io)
	out := f.fs.String("out", "", "file to write (required; must not exist)")
	if err := f.parse(args); err != nil {
		return err
	}
	if *out == "" {
		return fmt.Errorf("%w: --out is required", errUsage)
	}
	cfg, err := f.load(io)
	if err != nil {
		return err
	}
	if cfg.DB != "" {
		return fmt.Errorf("backup copies the embedded SQLite database; for PostgreSQL use pg_dump")
	}
	if _, err := os.Stat(*out); err == nil {
		return fmt.Errorf("%s exists; choose a new file", *out)
	}
	st, err := store.Open(ctx, "", cfg.Data, newLogger(cfg, io.Err))
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Backup(ctx, *out); err != nil {
		return err
	}
	fmt.Fprintf(io.Out, "backup written to %s\n", *out)
	return nil
}

func runRestore(ctx context.Context, args []string, io IO) error {
	f := newConfigFlags("restore", io)
	from := f.fs.String("from", "", "backup file to restore (required)")
	if err := f.parse(args); err != nil {
		return err
	}
	if *from == "" {
		return fmt.Errorf("%w: --from is required", errUsage)
	}
	cfg, err := f.load(io)
	if err != nil {
		return err
	}
	if cfg.DB != "" {
		return fmt.Errorf("restore replaces the embedded SQLite database; for PostgreSQL use pg_restore")
	}
	if err := checkSQLite(ctx, *from); err != nil {
		return err
	}
	lock, err := store.LockData(cfg.Data, true)
	if err != nil {
		return err
	}
	defer lock.Release()
	if err := os.MkdirAll(cfg.Data, 0o700); err != nil {
		return err
	}
	target := filepath.Join(cfg.Data, "atrium.db")
	data, err := os.ReadFile(*from)
	if err != nil {
		return err
	}
	tmp := target + ".restore"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	os.Remove(target + "-wal")
	os.Remove(target + "-shm")
	if err := os.Rename(tmp, target); err != nil {
		return err
	}
	fmt.Fprintf(io.Out, "restored %s into %s\n", *from, target)
	return nil
}

// checkSQLite refuses a file that is not an Atrium SQLite database.
func checkSQLite(ctx context.Context, path string) error {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return err
	}
	defer db.Close()
	var n int
	err = db.QueryRowContext(ctx, "SELECT COUNT(*) FROM schema_migrations").Scan(&n)
	if err != nil || n == 0 {
		return fmt.Errorf("%s is not an Atrium database backup", path)
	}
	return nil
}
