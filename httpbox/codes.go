package httpbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/netstate/zkvote/election"
	"github.com/netstate/zkvote/verifier"
)

// Bounds on what the server reads and the client accepts.
const (
	// MaxBallotSize bounds a ballot's bytes: the box's
	// (election.MaxBallotSize).
	MaxBallotSize = election.MaxBallotSize
	// MaxReceiptSize bounds a receipt's bytes, with its log proof: the
	// receipt's fields (at most 255 votes), a checkpoint of at most
	// witness.MaxCheckpointSize and an inclusion proof of at most 63
	// hashes.
	MaxReceiptSize = 80 << 10
	// maxParamsSize bounds an election's parameters.
	maxParamsSize = 1 << 20
	// maxJSONSize bounds the status and results replies: 255 options of
	// 256-byte names, or their encrypted sums, fit many times.
	maxJSONSize = 1 << 20
	// maxErrorSize bounds an error reply; maxMessage the message in it.
	maxErrorSize = 4 << 10
	maxMessage   = 1 << 10
)

// Errors of this package, each the sentinel of an error code (see the
// package documentation).
var (
	// ErrBusy: the server is checking as many submissions as it allows;
	// retry after the reply's Retry-After ([Error.RetryAfter]).
	ErrBusy = errors.New("httpbox: the ballot box is busy; retry later")
	// ErrTooLarge: the request's body is over its bound (MaxBallotSize,
	// MaxReceiptSize).
	ErrTooLarge = errors.New("httpbox: request body too large")
	// ErrTimeout: no checkpoint holding the ballot was published within
	// the server's wait; ask again later.
	ErrTimeout = errors.New("httpbox: no checkpoint holds the ballot yet; ask again later")
	// ErrOpen: results are published once the election has ended.
	ErrOpen = errors.New("httpbox: the election has not ended; results come after it ends")
	// ErrNotInLog: the receipt names a position the box's log does not
	// hold (not a receipt of this box).
	ErrNotInLog = errors.New("httpbox: no ballot at the receipt's position in this box's log")
	// ErrNotFound: no such resource.
	ErrNotFound = errors.New("httpbox: not found")
	// ErrMethod: the resource does not take this method.
	ErrMethod = errors.New("httpbox: method not allowed")
)

// code is an error code of the API: its HTTP status and the sentinel
// errors it stands for.
type code struct {
	name   string
	status int
	errs   []error
}

// codes is the one table of error codes: the server replies with the first
// whose first sentinel the error wraps, the client maps a code back to its
// sentinels. An error wrapping ErrOutcomeUnknown also wraps ErrBoxFailed,
// so it comes first.
var codes = []code{
	{"outcome-unknown", http.StatusInternalServerError, []error{election.ErrOutcomeUnknown, election.ErrBoxFailed}},
	{"failed", http.StatusServiceUnavailable, []error{election.ErrBoxFailed}},
	{"duplicate", http.StatusConflict, []error{election.ErrDuplicateNullifier}},
	{"stale", http.StatusConflict, []error{election.ErrStaleBallot}},
	{"closed", http.StatusGone, []error{election.ErrClosed}},
	{"wrong-election", http.StatusUnprocessableEntity, []error{election.ErrWrongElection}},
	{"rules", http.StatusUnprocessableEntity, []error{election.ErrRulesMismatch}},
	{"unknown-root", http.StatusUnprocessableEntity, []error{election.ErrUnknownRoot}},
	{"ciphertext-hash", http.StatusUnprocessableEntity, []error{election.ErrCiphertextHash}},
	{"key-mismatch", http.StatusUnprocessableEntity, []error{verifier.ErrKeyMismatch}},
	{"invalid-proof", http.StatusUnprocessableEntity, []error{verifier.ErrInvalidProof}},
	{"malformed", http.StatusBadRequest, []error{election.ErrMalformedBallot}},
	{"malformed-receipt", http.StatusBadRequest, []error{election.ErrMalformedReceipt}},
	{"not-in-log", http.StatusNotFound, []error{ErrNotInLog}},
	{"busy", http.StatusServiceUnavailable, []error{ErrBusy}},
	{"too-large", http.StatusRequestEntityTooLarge, []error{ErrTooLarge}},
	{"timeout", http.StatusGatewayTimeout, []error{ErrTimeout}},
	{"open", http.StatusConflict, []error{ErrOpen}},
	{"not-found", http.StatusNotFound, []error{ErrNotFound}},
	{"method", http.StatusMethodNotAllowed, []error{ErrMethod}},
	{"corrupt", http.StatusInternalServerError, []error{election.ErrCorrupt}},
}

// codeInternal is the code of any other error.
const codeInternal = "internal"

// codeByName returns the code named name.
func codeByName(name string) (code, bool) {
	for _, c := range codes {
		if c.name == name {
			return c, true
		}
	}
	return code{}, false
}

// Error is a [Client]'s error for a reply that is not a success: the
// server's code and message. It wraps the sentinel errors of its code, so
// that errors.Is(err, election.ErrDuplicateNullifier) and the like work as
// they do against a Box.
type Error struct {
	StatusCode int           // the HTTP status
	Code       string        // the API's error code; "" if the reply was not the API's
	Message    string        // the server's message (or the HTTP status)
	RetryAfter time.Duration // from Retry-After (busy), else 0
	errs       []error
}

func (e *Error) Error() string {
	if e.Code == "" {
		return fmt.Sprintf("httpbox: HTTP %d: %s", e.StatusCode, e.Message)
	}
	return fmt.Sprintf("httpbox: %s (HTTP %d, %s)", e.Message, e.StatusCode, e.Code)
}

// Unwrap returns the sentinel errors of the code.
func (e *Error) Unwrap() []error { return e.errs }

// errorBody is the JSON of an error reply.
type errorBody struct {
	Error string `json:"error"`
	Code  string `json:"code"`
}

// parseError decodes an error reply: its status, its Retry-After header
// and its body (at most maxErrorSize bytes were read). A body that is not
// the API's JSON (a proxy's page) gives an Error without a code, whose
// message is the status's text.
func parseError(status int, retryAfter string, body []byte) *Error {
	e := &Error{StatusCode: status, Message: http.StatusText(status)}
	if e.Message == "" {
		e.Message = "status " + strconv.Itoa(status)
	}
	if s, err := strconv.ParseUint(strings.TrimSpace(retryAfter), 10, 16); err == nil {
		e.RetryAfter = time.Duration(s) * time.Second
	}
	var eb errorBody
	if json.Unmarshal(body, &eb) != nil || eb.Code == "" {
		return e
	}
	e.Code = clean(eb.Code, 64)
	if msg := clean(eb.Error, maxMessage); msg != "" {
		e.Message = msg
	}
	if c, ok := codeByName(eb.Code); ok {
		e.errs = c.errs
	}
	return e
}

// clean returns s with at most n bytes, valid UTF-8 and only printable
// characters and the ASCII space: a server's text printed to a terminal
// cannot move its cursor, and no bidirectional override, zero-width or
// other format character, or line separator makes it read otherwise than
// it is.
func clean(s string, n int) string {
	var b strings.Builder
	for _, r := range s {
		if b.Len()+utf8.RuneLen(r) > n {
			break
		}
		switch {
		case r == utf8.RuneError, !unicode.IsPrint(r):
			b.WriteRune('?')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Status is the box's state, as GET /v1/status shows it.
type Status struct {
	Ballots uint64 `json:"ballots"` // durable ballots (in secret mode, replaced ones too)
	Voters  uint64 `json:"voters"`  // citizens with a ballot that counts
	Closed  bool   `json:"closed"`  // the election has ended
	Size    uint64 `json:"size"`    // entries of the latest published checkpoint
}

// Results are an ended election's results, as GET /v1/results shows them.
// In an open election they are the totals of every option; in a secret
// election the box knows no totals: the trustees decrypt them from the
// encrypted sums (see election.PartialDecrypt), and Note says so.
type Results struct {
	Question string  `json:"question"`
	Ballots  uint64  `json:"ballots"`
	Voters   uint64  `json:"voters"`
	Closed   bool    `json:"closed"`
	Secret   bool    `json:"secret"`
	Totals   []Total `json:"totals,omitempty"` // open elections: one per option, in order
	Head     string  `json:"head"`             // the final chain head, "0x" and 64 hex digits
	Note     string  `json:"note,omitempty"`
	// Encrypted is a secret election's encrypted sums, each a compressed
	// trustee.Ciphertext in hex, as the trustees recompute them.
	Encrypted []string `json:"encrypted,omitempty"`
}

// Total is one option's total.
type Total struct {
	Option string `json:"option"`
	Votes  uint64 `json:"votes"`
}

// secretNote is Results.Note in a secret election.
const secretNote = "secret ballots: the totals come from the trustees' decryption of the encrypted sums"

// parseStatus decodes a status reply strictly: one JSON object, every
// field present, no other.
func parseStatus(b []byte) (*Status, error) {
	var raw struct {
		Ballots *uint64 `json:"ballots"`
		Voters  *uint64 `json:"voters"`
		Closed  *bool   `json:"closed"`
		Size    *uint64 `json:"size"`
	}
	if err := decodeStrict(b, &raw); err != nil {
		return nil, fmt.Errorf("httpbox: status: %v", err)
	}
	if raw.Ballots == nil || raw.Voters == nil || raw.Closed == nil || raw.Size == nil {
		return nil, errors.New("httpbox: status: a field is missing")
	}
	return &Status{Ballots: *raw.Ballots, Voters: *raw.Voters, Closed: *raw.Closed, Size: *raw.Size}, nil
}

// parseResults decodes a results reply strictly.
func parseResults(b []byte) (*Results, error) {
	var r Results
	if err := decodeStrict(b, &r); err != nil {
		return nil, fmt.Errorf("httpbox: results: %v", err)
	}
	if !r.Closed {
		return nil, errors.New("httpbox: results: the election is not closed")
	}
	if r.Secret && len(r.Totals) > 0 || !r.Secret && len(r.Encrypted) > 0 {
		return nil, errors.New("httpbox: results: totals of a secret election, or encrypted sums of an open one")
	}
	if len(r.Totals) == 0 {
		r.Totals = nil
	}
	if len(r.Encrypted) == 0 {
		r.Encrypted = nil
	}
	return &r, nil
}

// decodeStrict decodes one JSON object into v, refusing unknown fields and
// anything after it.
func decodeStrict(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return err
	}
	if d.More() {
		return errors.New("data after the object")
	}
	return nil
}
