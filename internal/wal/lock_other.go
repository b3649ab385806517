//go:build !unix

package wal

import (
	"errors"
	"os"
)

// ErrLocked is returned by Lock when another process or handle holds it.
// Outside Unix the lock is a file created exclusively.
var ErrLocked = errors.New("wal: directory is in use")

// Lock creates path exclusively.
func Lock(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_RDWR, 0o600)
	if errors.Is(err, os.ErrExist) {
		return nil, ErrLocked
	}
	return f, err
}

// Unlock removes the lock file.
func Unlock(f *os.File) {
	if f != nil {
		name := f.Name()
		f.Close()
		os.Remove(name)
	}
}
