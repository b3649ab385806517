package httpbox

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
	"github.com/transparency-dev/tessera/api/layout"

	"github.com/netstate/zkvote/election"
)

// FuzzParseError: any error reply decodes without panic to an *Error
// whose message is bounded, printable UTF-8, and whose sentinels are its
// code's; a known code maps back to its sentinel.
func FuzzParseError(f *testing.F) {
	for _, c := range codes {
		body, _ := json.Marshal(errorBody{Error: c.errs[0].Error(), Code: c.name})
		f.Add(c.status, "1", body)
	}
	f.Add(502, "", []byte("<html>bad gateway</html>"))
	f.Add(409, "x", []byte(`{"error":"\u001b[2Jcleared","code":"duplicate"}`))
	f.Add(999, "99999999999", []byte(`{"code":"nope"}`))
	f.Add(503, " 7 ", []byte(`{"error":"`+strings.Repeat("é", 2000)+`","code":"busy"}`))
	f.Fuzz(func(t *testing.T, status int, retry string, body []byte) {
		e := parseError(status, retry, body)
		require.LessOrEqual(t, len(e.Message), max(maxMessage, len(http.StatusText(status)), 16))
		require.True(t, utf8.ValidString(e.Message))
		for _, r := range e.Message {
			require.False(t, r < 0x20 || r == 0x7f, "a control character in %q", e.Message)
		}
		require.GreaterOrEqual(t, e.RetryAfter, 0*e.RetryAfter)
		if c, ok := codeByName(e.Code); ok {
			require.ErrorIs(t, e, c.errs[0])
		} else {
			require.Empty(t, e.Unwrap())
		}
		_ = e.Error()
	})
}

// FuzzParseStatus: a status reply decodes strictly or not at all, and what
// decodes encodes and decodes to the same status.
func FuzzParseStatus(f *testing.F) {
	f.Add([]byte(`{"ballots":3,"voters":2,"closed":false,"size":5}`))
	f.Add([]byte(`{"ballots":3,"voters":2,"closed":false}`))
	f.Add([]byte(`{"ballots":-1,"voters":2,"closed":false,"size":5}`))
	f.Add([]byte(`{"ballots":3,"voters":2,"closed":false,"size":5,"x":1}`))
	f.Add([]byte(`{"ballots":3,"voters":2,"closed":false,"size":5} {}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := parseStatus(b)
		if err != nil {
			require.True(t, strings.HasPrefix(err.Error(), "httpbox: "))
			return
		}
		again, err := json.Marshal(st)
		require.NoError(t, err)
		back, err := parseStatus(again)
		require.NoError(t, err)
		require.Equal(t, st, back)
	})
}

// FuzzParseResults: as FuzzParseStatus, for results replies.
func FuzzParseResults(f *testing.F) {
	open, _ := json.Marshal(Results{Question: "q?", Ballots: 3, Voters: 3, Closed: true,
		Totals: []Total{{"yes", 2}, {"no", 1}}, Head: "0x01"})
	secret, _ := json.Marshal(Results{Question: "q?", Ballots: 4, Voters: 3, Closed: true, Secret: true,
		Head: "0x02", Note: secretNote, Encrypted: []string{"00ff"}})
	f.Add(open)
	f.Add(secret)
	f.Add([]byte(`{"closed":false}`))
	f.Add([]byte(`{"closed":true,"totals":[{"option":"a","votes":18446744073709551616}]}`))
	f.Add([]byte(`{"closed":true,"totals":[]}`)) // an empty list decodes as none
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := parseResults(b)
		if err != nil {
			require.True(t, strings.HasPrefix(err.Error(), "httpbox: "))
			return
		}
		require.True(t, r.Closed)
		again, err := json.Marshal(r)
		require.NoError(t, err)
		back, err := parseResults(again)
		require.NoError(t, err)
		require.Equal(t, r, back)
	})
}

// FuzzParseLogPath: a log path is served only in its canonical tlog-tiles
// spelling, which the coordinates give back exactly; nothing else, and
// no path that leaves the log's resources, is served.
func FuzzParseLogPath(f *testing.F) {
	for _, s := range []string{
		"checkpoint", "tile/0/000", "tile/0/x001/234", "tile/entries/000.p/3", "tile/63/x018/x446/x744/x073/x709/x551/615",
		"tile/entries/x018/x446/x744/x073/x709/x551/615.p/255", "tile/0/000.p/0", "tile/0/../000", ".state/treeState",
		"tile/0/x000/000", "tile/00/000", "tile//000", "tile/0/000.p/", "tile/0/.p/1", "tile/0/x1/000",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		kind := parseLogPath(name)
		switch kind {
		case logNone:
			return
		case logCheckpoint:
			require.Equal(t, "checkpoint", name)
			return
		}
		require.NotContains(t, name, "..")
		require.False(t, strings.HasPrefix(name, "."))
		level, index, p, entries := logCoordinates(name)
		want := layout.TilePath(level, index, p)
		if entries {
			want = layout.EntriesPath(index, p)
		}
		require.Equal(t, want, name)
		require.Equal(t, p != 0, kind == logPartial)
	})
}

// TestCodesTable: every code is distinct and its status is an error's.
func TestCodesTable(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range codes {
		require.False(t, seen[c.name], c.name)
		seen[c.name] = true
		require.GreaterOrEqual(t, c.status, 400, c.name)
		require.NotEmpty(t, c.errs, c.name)
	}
	// An error wrapping ErrOutcomeUnknown wraps ErrBoxFailed too: the more
	// specific code comes first.
	err := errors.Join(election.ErrOutcomeUnknown, election.ErrBoxFailed)
	for _, c := range codes {
		if errors.Is(err, c.errs[0]) {
			require.Equal(t, "outcome-unknown", c.name)
			break
		}
	}
}
