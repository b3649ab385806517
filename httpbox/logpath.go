package httpbox

import (
	"strings"

	"github.com/transparency-dev/tessera/api/layout"
)

// The kinds of a log resource's name.
const (
	logNone       = iota // not a resource of the log: never served
	logCheckpoint        // "checkpoint"
	logFull              // a full tile or entry bundle
	logPartial           // a partial tile or entry bundle
)

// parseLogPath returns the kind of the log resource name (a path below
// /log/): the checkpoint, or a tile ("tile/L/N[.p/W]") or entry bundle
// ("tile/entries/N[.p/W]") of C2SP tlog-tiles in its one canonical
// spelling, with L from 0 to 63 and W from 1 to 255. Anything else,
// Tessera's own files included, is logNone.
func parseLogPath(name string) int {
	if name == "checkpoint" {
		return logCheckpoint
	}
	level, index, p, entries, ok := parseTile(name)
	if !ok {
		return logNone
	}
	canonical := layout.TilePath(level, index, p)
	if entries {
		canonical = layout.EntriesPath(index, p)
	}
	switch {
	case canonical != name:
		return logNone
	case p != 0:
		return logPartial
	}
	return logFull
}

// logCoordinates returns the coordinates of a tile or entry bundle name
// that parseLogPath accepted.
func logCoordinates(name string) (level, index uint64, p uint8, entries bool) {
	level, index, p, entries, _ = parseTile(name)
	return level, index, p, entries
}

// parseTile parses a tile or entry bundle path leniently; parseLogPath
// requires it to be canonical.
func parseTile(name string) (level, index uint64, p uint8, entries, ok bool) {
	rest, found := strings.CutPrefix(name, "tile/")
	if !found {
		return 0, 0, 0, false, false
	}
	if r, found := strings.CutPrefix(rest, "entries/"); found {
		entries, rest = true, r
	} else {
		var l string
		l, rest, found = strings.Cut(rest, "/")
		if !found {
			return 0, 0, 0, false, false
		}
		v, good := decimal(l, 63)
		if !good {
			return 0, 0, 0, false, false
		}
		level = v
	}
	n, w, partial := strings.Cut(rest, ".p/")
	if partial {
		v, good := decimal(w, 255)
		if !good || v == 0 {
			return 0, 0, 0, false, false
		}
		p = uint8(v)
	}
	// N: groups of three digits, all but the last prefixed by x, at most
	// seven groups (2^64 has 20 digits).
	for groups := 0; ; groups++ {
		if groups == 7 {
			return 0, 0, 0, false, false
		}
		g, more, hasMore := strings.Cut(n, "/")
		if hasMore {
			if len(g) != 4 || g[0] != 'x' {
				return 0, 0, 0, false, false
			}
			g = g[1:]
		}
		v, good := decimal(g, 999)
		if !good || len(g) != 3 {
			return 0, 0, 0, false, false
		}
		if index > (^uint64(0)-v)/1000 {
			return 0, 0, 0, false, false
		}
		index = index*1000 + v
		if !hasMore {
			break
		}
		n = more
	}
	return level, index, p, entries, true
}

// decimal parses s, one to three decimal digits, as a value at most max.
func decimal(s string, max uint64) (uint64, bool) {
	if len(s) == 0 || len(s) > 3 {
		return 0, false
	}
	var v uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	return v, v <= max
}
