package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// DataLock is an advisory lock on the data folder: every process using the embedded
// database holds it shared, and restore needs it exclusively, so a backup is never copied
// under a running server (whose later writes would go to a deleted file and be lost).
type DataLock struct{ f *os.File }

// ErrInUse is returned when the data folder is in use by another process.
var ErrInUse = errors.New("the data folder is in use by a running Atrium; stop it first")

// LockData takes the data folder's lock, shared or exclusive, without waiting.
func LockData(dataDir string, exclusive bool) (*DataLock, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data folder: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dataDir, "atrium.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock file: %w", err)
	}
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	if err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, ErrInUse
		}
		return nil, fmt.Errorf("lock data folder: %w", err)
	}
	return &DataLock{f: f}, nil
}

// Release drops the lock.
func (l *DataLock) Release() {
	if l != nil && l.f != nil {
		l.f.Close()
	}
}
