//go:build !unix

package membership

import (
	"errors"
	"fmt"
	"os"
)

// ErrLocked is returned by OpenTree when another process or Tree holds the
// directory. Outside Unix, only a LOCK file created exclusively guards it.
var ErrLocked = errors.New("membership: tree directory is in use")

func lockDir(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_RDWR, 0o600)
	if errors.Is(err, os.ErrExist) {
		return nil, ErrLocked
	}
	if err != nil {
		return nil, fmt.Errorf("membership: %v", err)
	}
	return f, nil
}

func unlockDir(f *os.File) {
	if f != nil {
		name := f.Name()
		f.Close()
		os.Remove(name)
	}
}
