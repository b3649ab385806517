package httpbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/netstate/zkvote/election"
	"github.com/netstate/zkvote/internal/bounded"
)

// Client reaches a ballot box served by [Handler]. Its methods are safe
// for concurrent use. A reply that is not a success is an [*Error] that
// wraps the sentinel of its code (see the package documentation); a
// network failure is the HTTP client's error, wrapped.
//
// It bounds every reply before reading it (MaxReceiptSize for receipts, 1
// MiB for parameters and JSON, 4 KiB for errors), and compiles for
// GOOS=js, where net/http uses the browser's fetch.
type Client struct {
	base string // the box's URL, without a trailing slash
	hc   *http.Client
}

// NewClient returns a client of the box served at baseURL, an http or
// https URL, possibly with a path (the routes go below it), without a
// query or fragment. A nil hc is http.DefaultClient, which has no timeout:
// give one with a timeout, or a ctx with a deadline, and a Transport whose
// MaxIdleConnsPerHost matches your concurrency.
func NewClient(baseURL string, hc *http.Client) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, fmt.Errorf("httpbox: box URL: %v", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("httpbox: box URL %q is not an http or https URL", u.Redacted())
	}
	if u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
		return nil, fmt.Errorf("httpbox: box URL %q has a query or fragment", u.Redacted())
	}
	if hc == nil {
		hc = http.DefaultClient
	}
	return &Client{base: strings.TrimRight(u.String(), "/"), hc: hc}, nil
}

// Params returns the election's parameters, decoded strictly. Compare
// their digest with the one the organiser published before trusting them.
func (c *Client) Params(ctx context.Context) (*election.Params, error) {
	b, err := c.do(ctx, http.MethodGet, "/v1/params", nil, maxParamsSize)
	if err != nil {
		return nil, err
	}
	p, err := election.ParseParams(b)
	if err != nil {
		return nil, fmt.Errorf("httpbox: the box's parameters: %w", err)
	}
	return p, nil
}

// Submit submits ballot and returns the box's receipt, once the ballot is
// durable in its log. The receipt is the box's word until [Client.Prove]
// adds the log's proof and election.VerifyReceipt checks it.
//
// A ballot over MaxBallotSize is refused here (ErrTooLarge). An error
// wrapping election.ErrOutcomeUnknown, or a network error after the
// request was sent, leaves the outcome unknown: submit the same ballot
// again later; election.ErrDuplicateNullifier (open mode) or
// election.ErrStaleBallot (secret mode) then means the first submission
// was recorded.
func (c *Client) Submit(ctx context.Context, ballot []byte) (*election.Receipt, error) {
	if len(ballot) > MaxBallotSize {
		return nil, fmt.Errorf("%w: a ballot of %d bytes, at most %d", ErrTooLarge, len(ballot), MaxBallotSize)
	}
	b, err := c.do(ctx, http.MethodPost, "/v1/ballots", ballot, MaxReceiptSize)
	if err != nil {
		return nil, err
	}
	r, err := election.ParseReceipt(b)
	if err != nil {
		return nil, fmt.Errorf("httpbox: the box's receipt: %w", err)
	}
	return r, nil
}

// Prove asks the box for the log's proof of the receipt's ballot and
// returns a copy of r with its checkpoint and inclusion proof; r is left
// as it is. It checks that the box proved this receipt (every field but
// the proof equal); check the proof itself with election.VerifyReceipt.
// The box waits a while for a checkpoint that holds the ballot: ErrTimeout
// means none came yet, ask again.
func (c *Client) Prove(ctx context.Context, r *election.Receipt) (*election.Receipt, error) {
	if r == nil {
		return nil, errors.New("httpbox: no receipt")
	}
	q := *r
	q.Checkpoint, q.Proof = nil, nil
	want := q.Bytes()
	b, err := c.do(ctx, http.MethodPost, "/v1/receipts", want, MaxReceiptSize)
	if err != nil {
		return nil, err
	}
	got, err := election.ParseReceipt(b)
	if err != nil {
		return nil, fmt.Errorf("httpbox: the box's proven receipt: %w", err)
	}
	if got.Checkpoint == nil {
		return nil, fmt.Errorf("%w: the box's proven receipt has no log proof", election.ErrReceiptMismatch)
	}
	bare := *got
	bare.Checkpoint, bare.Proof = nil, nil
	if !bytes.Equal(bare.Bytes(), want) {
		return nil, fmt.Errorf("%w: the box proved another receipt than the one asked about", election.ErrReceiptMismatch)
	}
	return got, nil
}

// Status returns the box's state.
func (c *Client) Status(ctx context.Context) (*Status, error) {
	b, err := c.do(ctx, http.MethodGet, "/v1/status", nil, maxJSONSize)
	if err != nil {
		return nil, err
	}
	return parseStatus(b)
}

// Results returns the results of an ended election (ErrOpen before). They
// are the box's word: election.Audit (open) or election.AuditSecret
// (secret) checks them from the log.
func (c *Client) Results(ctx context.Context) (*Results, error) {
	b, err := c.do(ctx, http.MethodGet, "/v1/results", nil, maxJSONSize)
	if err != nil {
		return nil, err
	}
	return parseResults(b)
}

// Log returns a reader of the box's ballot log (C2SP tlog-tiles under
// /log/), for election.FetchLog, election.AuditLog and
// election.ConsistencyProof.
func (c *Client) Log() (election.LogReader, error) {
	return election.LogURL(c.base+"/log/", c.hc)
}

// do sends a request and returns the body of a 200 reply, at most limit
// bytes; any other status is an *Error.
func (c *Client) do(ctx context.Context, method, path string, body []byte, limit int64) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, fmt.Errorf("httpbox: %v", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/octet-stream")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("httpbox: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := readBody(resp.Body, -1, maxErrorSize, true)
		return nil, parseError(resp.StatusCode, resp.Header.Get("Retry-After"), b)
	}
	if resp.ContentLength > limit {
		return nil, fmt.Errorf("httpbox: %s %s: a reply of %d bytes, at most %d", method, path, resp.ContentLength, limit)
	}
	b, err := readBody(resp.Body, resp.ContentLength, limit, false)
	if err != nil {
		return nil, fmt.Errorf("httpbox: %s %s: %w", method, path, err)
	}
	return b, nil
}

// readBody reads r to its end, at most limit bytes: past it, the first
// limit bytes if truncate is set, else an error. size, if not negative
// and within limit, is the expected size.
func readBody(r io.Reader, size, limit int64, truncate bool) ([]byte, error) {
	buf, err := bounded.Read(r, size, limit, 16<<10)
	switch {
	case err != nil && truncate:
		return buf[:min(int64(len(buf)), limit)], nil
	case err != nil:
		return nil, err
	case int64(len(buf)) > limit && truncate:
		return buf[:limit], nil
	case int64(len(buf)) > limit:
		return nil, fmt.Errorf("a reply of more than %d bytes", limit)
	}
	return buf, nil
}
