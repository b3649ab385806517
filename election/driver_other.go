//go:build js || wasip1

package election

import (
	"context"
	"errors"
	"net/http"

	"github.com/transparency-dev/tessera"
)

// posixDriver: Tessera's POSIX driver does not build for WebAssembly (it
// locks files with fcntl). A box there needs BoxOptions.Driver; the
// browser voter, which links this package, never opens a box.
func posixDriver(context.Context, string, *http.Client) (tessera.Driver, error) {
	return nil, errors.New("election: no POSIX log storage on this platform; give BoxOptions.Driver")
}
