//go:build !js && !wasip1

package election

import (
	"context"
	"net/http"

	"github.com/transparency-dev/tessera"
	"github.com/transparency-dev/tessera/storage/posix"
)

// posixDriver is the box's default storage: Tessera's POSIX driver in the
// box's log directory, reaching the witnesses through hc.
func posixDriver(ctx context.Context, path string, hc *http.Client) (tessera.Driver, error) {
	return posix.New(ctx, posix.Config{Path: path, HTTPClient: hc})
}
