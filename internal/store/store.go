// Package store is Atrium's one adapter to the database. It implements the store interfaces
// the services declare, on SQLite (embedded, pure Go) and PostgreSQL, with plain SQL
// migrations per dialect. Queries are written once with "?" placeholders and numbered for
// PostgreSQL; everything else that differs lives in the migrations.
//
// A transaction travels in the context: InTx puts it there and every method run with that
// context joins it, so a service can change several kinds of record at once without
// knowing about SQL.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"atrium/internal/apperr"
	"atrium/internal/config"

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
	_ "modernc.org/sqlite"             // registers "sqlite"
)

// Dialect names a database flavour.
type Dialect string

// Dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// Store is the database handle shared by every service.
type Store struct {
	db      *sql.DB
	dialect Dialect
	dsn     string
	log     *slog.Logger

	rebound sync.Map // query text -> dialect text
	bus     *bus
	lock    *DataLock // held shared on the data folder while SQLite is open
}

// Open connects to dsn (a postgres:// URL) or, when dsn is empty, to the SQLite file
// atrium.db in dataDir, creating the folder.
func Open(ctx context.Context, dsn, dataDir string, log *slog.Logger) (*Store, error) {
	s := &Store{log: log, bus: newBus()}
	var err error
	if config.IsPostgres(dsn) {
		s.dialect, s.dsn = Postgres, dsn
		s.db, err = sql.Open("pgx", dsn)
		if err == nil {
			s.db.SetMaxOpenConns(20)
			s.db.SetMaxIdleConns(10)
			s.db.SetConnMaxIdleTime(5 * time.Minute)
		}
	} else {
		s.dialect = SQLite
		if s.lock, err = LockData(dataDir, false); err != nil {
			return nil, err
		}
		s.db, err = openSQLite(dataDir)
	}
	if err != nil {
		s.lock.Release()
		return nil, fmt.Errorf("open database: %w", err)
	}
	if err := s.db.PingContext(ctx); err != nil {
		s.db.Close()
		s.lock.Release()
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	return s, nil
}

// openSQLite opens the embedded database with WAL, foreign keys, full sync on commit and
// immediate write transactions, so a writer never fails half way on a lock upgrade.
func openSQLite(dataDir string) (*sql.DB, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data folder: %w", err)
	}
	path := filepath.Join(dataDir, "atrium.db")
	// The database holds hashes and sealed secrets: readable by the owner only.
	if f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600); err == nil {
		f.Close()
		os.Chmod(path, 0o600)
	}
	dsn := "file:" + path + "?_txlock=immediate" +
		"&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)" +
		"&_pragma=synchronous(FULL)&_pragma=busy_timeout(10000)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(8)
	return db, nil
}

// Dialect reports which database the store talks to.
func (s *Store) Dialect() Dialect { return s.dialect }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// Close stops change listening and closes the database.
func (s *Store) Close() error {
	s.bus.close()
	err := s.db.Close()
	s.lock.Release()
	return err
}

type txKey struct{}

// txState is the transaction in a context plus the notifications to send after commit.
type txState struct {
	tx      *sql.Tx
	pending []Change
}

// InTx runs fn in one transaction. A nested call joins the outer transaction. Changes
// published inside are delivered only after commit.
func (s *Store) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if _, ok := ctx.Value(txKey{}).(*txState); ok {
		return fn(ctx)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", mapErr(err))
	}
	st := &txState{tx: tx}
	if err := fn(context.WithValue(ctx, txKey{}, st)); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", mapErr(err))
	}
	for _, c := range st.pending {
		s.bus.deliver(c)
	}
	return nil
}

// querier is what *sql.DB and *sql.Tx share.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (s *Store) conn(ctx context.Context) querier {
	if st, ok := ctx.Value(txKey{}).(*txState); ok {
		return st.tx
	}
	return s.db
}

func (s *Store) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	res, err := s.conn(ctx).ExecContext(ctx, s.rebind(q), args...)
	return res, mapErr(err)
}

func (s *Store) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	rows, err := s.conn(ctx).QueryContext(ctx, s.rebind(q), args...)
	return rows, mapErr(err)
}

func (s *Store) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	return s.conn(ctx).QueryRowContext(ctx, s.rebind(q), args...)
}

// forUpdate is appended to a SELECT that must lock its rows. SQLite's immediate
// transactions already hold the write lock.
func (s *Store) forUpdate() string {
	if s.dialect == Postgres {
		return " FOR UPDATE"
	}
	return ""
}

// rebind turns "?" placeholders into "$1", "$2", ... for PostgreSQL. Query texts are
// constants, so the result is memoised.
func (s *Store) rebind(q string) string {
	if s.dialect != Postgres {
		return q
	}
	if v, ok := s.rebound.Load(q); ok {
		return v.(string)
	}
	var b strings.Builder
	n, inQuote := 0, false
	for _, r := range q {
		switch {
		case r == '\'':
			inQuote = !inQuote
			b.WriteRune(r)
		case r == '?' && !inQuote:
			n++
			b.WriteString("$" + strconv.Itoa(n))
		default:
			b.WriteRune(r)
		}
	}
	out := b.String()
	s.rebound.Store(q, out)
	return out
}

// mapErr turns driver errors into apperr kinds the services understand.
func mapErr(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return apperr.New(apperr.NotFound, "not found")
	}
	msg := err.Error()
	if strings.Contains(msg, "UNIQUE constraint failed") || strings.Contains(msg, "SQLSTATE 23505") {
		return &apperr.Error{Kind: apperr.Conflict, Msg: "already exists", Err: err}
	}
	if strings.Contains(msg, "FOREIGN KEY constraint failed") || strings.Contains(msg, "SQLSTATE 23503") {
		return &apperr.Error{Kind: apperr.Invalid, Msg: "refers to a missing object", Err: err}
	}
	return err
}

// notFound returns a NotFound error naming what was missing.
func notFound(what string) error {
	return apperr.NotFoundf("%s not found", what)
}

// rowErr maps the error of a single-row scan, naming what was missing.
func rowErr(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return notFound(what)
	}
	return mapErr(err)
}

// Times are stored as Unix microseconds in UTC.

func micro(t time.Time) int64 { return t.UnixMicro() }

func nullMicro(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMicro(), Valid: true}
}

func fromMicro(v int64) time.Time { return time.UnixMicro(v).UTC() }

func fromNullMicro(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return fromMicro(v.Int64)
}

func nullString(s string) sql.NullString {
	return sql.NullString{String: s, Valid: s != ""}
}

// placeholders returns "?, ?, ?" for n values.
func placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?, ", n-1) + "?"
}

// Backup writes a consistent copy of the SQLite database to path.
func (s *Store) Backup(ctx context.Context, path string) error {
	if s.dialect != SQLite {
		return fmt.Errorf("backup: only the embedded database can be copied")
	}
	if _, err := s.db.ExecContext(ctx, "VACUUM INTO ?", path); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	return os.Chmod(path, 0o600)
}

// ExecForTest runs a raw statement. Only the conformance suite uses it, to prove that the
// database itself refuses what no store method offers (editing the audit log).
func (s *Store) ExecForTest(ctx context.Context, q string) error {
	_, err := s.exec(ctx, q)
	return err
}
