//go:build !js

package httpbox

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"os"
	"path"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/netstate/zkvote/election"
	"github.com/netstate/zkvote/internal/field"
)

// Options configure a [Handler]; nil or zero fields take the defaults.
type Options struct {
	// LogDir is the box's log directory (its dir/log, Tessera's POSIX
	// storage), whose checkpoint and tiles are served under /log/; "" reads
	// them through the box's own log reader instead (another Tessera
	// driver).
	LogDir string
	// KeyDir holds the key files served under /keys/ (the browser voter
	// proves with them); "" serves none. KeyFiles, if not nil, are the only
	// names in it that are served: give the vote statement's files, so that
	// nothing else that lies in the directory is published.
	KeyDir   string
	KeyFiles []string
	// Web holds the browser voter's files, served at / (index.html for a
	// path ending in /); nil serves none.
	Web fs.FS
	// MaxInFlight bounds the submissions being checked by the box, and
	// separately the receipts being proven; 4×MaxInFlight bounds the
	// request bodies being read. Beyond it a request gets 503 (busy) with
	// Retry-After at once. 0 is DefaultMaxInFlight.
	MaxInFlight int
	// ProveTimeout bounds the wait of POST /v1/receipts for a checkpoint
	// that holds the ballot (then 504); 0 is DefaultProveTimeout.
	ProveTimeout time.Duration
	// Logger, if not nil, gets the server's own failures (a failed box,
	// a damaged log file), which replies name but do not detail.
	Logger *slog.Logger
}

// Defaults of [Options].
const (
	DefaultMaxInFlight  = 256
	DefaultProveTimeout = 20 * time.Second
)

// Timeouts of [NewServer]'s server. A slow client holds a connection at
// most this long: ReadHeaderTimeout for its headers, ReadTimeout for a
// whole request (a ballot of MaxBallotSize bytes at 4.4 KB/s), WriteTimeout
// for a reply (a proof's wait and a key file's download extend it for their
// request), IdleTimeout between requests.
const (
	ReadHeaderTimeout = 5 * time.Second
	ReadTimeout       = 15 * time.Second
	WriteTimeout      = 30 * time.Second
	IdleTimeout       = 60 * time.Second
	MaxHeaderBytes    = 16 << 10
)

// minDownloadRate is the slowest download of a key or web file the server
// waits for: its write deadline is WriteTimeout plus its size at this rate.
const minDownloadRate = 64 << 10 // bytes per second

// maxWebFile bounds a web file that cannot seek, which is read whole.
const maxWebFile = 256 << 20

// NewServer returns an http.Server for addr and h with the timeouts and
// header bound above, so that slow clients (slowloris: headers or body
// dribbled) cannot hold connections for long. Serve it with its
// ListenAndServe (or Serve on a listener); stop it with Shutdown, then
// close the box.
func NewServer(addr string, h http.Handler) *http.Server {
	return &http.Server{
		Addr: addr, Handler: h,
		ReadHeaderTimeout: ReadHeaderTimeout, ReadTimeout: ReadTimeout,
		WriteTimeout: WriteTimeout, IdleTimeout: IdleTimeout, MaxHeaderBytes: MaxHeaderBytes,
	}
}

// Handler serves a ballot box over HTTP (the routes are in the package
// documentation). It is an http.Handler, safe for concurrent use.
type Handler struct {
	box      *election.Box
	params   *election.Params
	enc      []byte // the parameters' encoding
	etag     string // of the parameters, from their digest
	opts     Options
	keyFiles map[string]bool // nil: any valid name
	log      *slog.Logger

	// Semaphores: bodies being read, ballots being checked, receipts
	// being proven.
	reading, checking, proving chan struct{}

	failed atomic.Bool // the box reported ErrBoxFailed

	mu       sync.Mutex
	status   []byte // the last status reply, and when it was made
	statusAt time.Time
	results  []byte // the results reply, once the election has ended
}

var _ http.Handler = (*Handler)(nil)

// statusPeriod is how long a status reply is reused: a flood of status
// requests costs the box's lock once per period.
const statusPeriod = 100 * time.Millisecond

// NewHandler returns the handler of box, the box of the election params,
// with opts (nil for the defaults). Close the box after the server has
// shut down: the handler never closes it.
func NewHandler(box *election.Box, params *election.Params, opts *Options) (*Handler, error) {
	if box == nil || params == nil {
		return nil, errors.New("httpbox: no box or parameters")
	}
	enc, err := params.Encode()
	if err != nil {
		return nil, err
	}
	digest, err := params.Digest()
	if err != nil {
		return nil, err
	}
	h := &Handler{box: box, params: params, enc: enc, log: slog.New(slog.DiscardHandler)}
	db := digest.Bytes()
	h.etag = `"` + hex.EncodeToString(db[:]) + `"`
	if opts != nil {
		h.opts = *opts
	}
	o := &h.opts
	switch {
	case o.MaxInFlight < 0:
		return nil, fmt.Errorf("httpbox: MaxInFlight %d", o.MaxInFlight)
	case o.MaxInFlight == 0:
		o.MaxInFlight = DefaultMaxInFlight
	}
	switch {
	case o.ProveTimeout < 0:
		return nil, fmt.Errorf("httpbox: ProveTimeout %v", o.ProveTimeout)
	case o.ProveTimeout == 0:
		o.ProveTimeout = DefaultProveTimeout
	}
	for _, d := range []struct{ what, dir string }{{"LogDir", o.LogDir}, {"KeyDir", o.KeyDir}} {
		if d.dir == "" {
			continue
		}
		if st, err := os.Stat(d.dir); err != nil || !st.IsDir() {
			return nil, fmt.Errorf("httpbox: %s %q is not a directory", d.what, d.dir)
		}
	}
	if o.KeyFiles != nil {
		h.keyFiles = make(map[string]bool, len(o.KeyFiles))
		for _, name := range o.KeyFiles {
			if !validKeyName(name) {
				return nil, fmt.Errorf("httpbox: key file name %q", name)
			}
			h.keyFiles[name] = true
		}
	}
	if o.Logger != nil {
		h.log = o.Logger
	}
	h.reading = make(chan struct{}, 4*o.MaxInFlight)
	h.checking = make(chan struct{}, o.MaxInFlight)
	h.proving = make(chan struct{}, o.MaxInFlight)
	return h, nil
}

// ServeHTTP routes a request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	p := r.URL.Path
	if crossOrigin(p) {
		// The API, the log and the keys are public and take no
		// credentials: a voting page from another origin (one a voter
		// trusts more than this box) may use them.
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Header().Set("Access-Control-Expose-Headers", "Retry-After")
		if r.Method == http.MethodOptions {
			w.Header().Set("Access-Control-Allow-Methods", "GET, HEAD, POST")
			w.Header().Set("Access-Control-Allow-Headers", "Content-Type")
			w.Header().Set("Access-Control-Max-Age", "3600")
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusNoContent)
			return
		}
	}
	switch p {
	case "/v1/ballots":
		if h.allow(w, r, http.MethodPost) {
			h.submit(w, r)
		}
	case "/v1/receipts":
		if h.allow(w, r, http.MethodPost) {
			h.prove(w, r)
		}
	case "/v1/params":
		if h.allow(w, r, http.MethodGet) {
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Header().Set("Cache-Control", "no-cache")
			w.Header().Set("ETag", h.etag)
			http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(h.enc))
		}
	case "/v1/status":
		if h.allow(w, r, http.MethodGet) {
			h.serveStatus(w, r)
		}
	case "/v1/results":
		if h.allow(w, r, http.MethodGet) {
			h.serveResults(w, r)
		}
	case "/healthz":
		if h.allow(w, r, http.MethodGet) {
			if h.failed.Load() {
				h.reply(w, election.ErrBoxFailed)
				return
			}
			writeJSON(w, http.StatusOK, []byte(`{"ok":true}`+"\n"))
		}
	default:
		switch {
		case strings.HasPrefix(p, "/log/"):
			if h.allow(w, r, http.MethodGet) {
				h.serveLog(w, r, p[len("/log/"):])
			}
		case strings.HasPrefix(p, "/keys/"):
			if h.allow(w, r, http.MethodGet) {
				h.serveKey(w, r, p[len("/keys/"):])
			}
		case h.opts.Web != nil && !strings.HasPrefix(p, "/v1/"):
			if h.allow(w, r, http.MethodGet) {
				h.serveWeb(w, r, p)
			}
		default:
			h.reply(w, ErrNotFound)
		}
	}
}

// crossOrigin reports whether p is served to pages of any origin: the
// API, the log and the vote keys, not the box's own page.
func crossOrigin(p string) bool {
	return strings.HasPrefix(p, "/v1/") || strings.HasPrefix(p, "/log/") || strings.HasPrefix(p, "/keys/") || p == "/healthz"
}

// allow reports whether r's method is method (GET also allows HEAD), and
// otherwise replies 405 with Allow.
func (h *Handler) allow(w http.ResponseWriter, r *http.Request, method string) bool {
	if r.Method == method || method == http.MethodGet && r.Method == http.MethodHead {
		return true
	}
	if method == http.MethodGet {
		method = "GET, HEAD"
	}
	w.Header().Set("Allow", method)
	h.reply(w, fmt.Errorf("%w: %s", ErrMethod, clean(r.Method, 32)))
	return false
}

// acquire takes a slot of sem if one is free.
func acquire(sem chan struct{}) bool {
	select {
	case sem <- struct{}{}:
		return true
	default:
		return false
	}
}

// readRequest reads r's body, at most limit bytes, while a reading slot is
// free; it replies and returns nil if it cannot.
func (h *Handler) readRequest(w http.ResponseWriter, r *http.Request, limit int64) []byte {
	if r.ContentLength > limit {
		h.reply(w, fmt.Errorf("%w: %d bytes, at most %d", ErrTooLarge, r.ContentLength, limit))
		return nil
	}
	if !acquire(h.reading) {
		h.reply(w, ErrBusy)
		return nil
	}
	defer func() { <-h.reading }()
	body, err := readBody(http.MaxBytesReader(w, r.Body, limit), r.ContentLength, limit, false)
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		h.reply(w, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, limit))
		return nil
	case err != nil:
		// A body cut short or too slow: the client is likely gone.
		h.reply(w, fmt.Errorf("httpbox: reading the request: %w", errBadRequest))
		return nil
	}
	return body
}

// errBadRequest is a request whose body could not be read.
var errBadRequest = errors.New("the body could not be read")

// submit is POST /v1/ballots.
func (h *Handler) submit(w http.ResponseWriter, r *http.Request) {
	body := h.readRequest(w, r, MaxBallotSize)
	if body == nil {
		return
	}
	if !acquire(h.checking) {
		h.reply(w, ErrBusy)
		return
	}
	defer func() { <-h.checking }()
	// Box.Submit parses the ballot strictly and checks its election, rules,
	// root and nullifier before it verifies the proof.
	rec, err := h.box.Submit(r.Context(), body)
	if err != nil {
		h.reply(w, err)
		return
	}
	writeBytes(w, rec.Bytes())
}

// prove is POST /v1/receipts.
func (h *Handler) prove(w http.ResponseWriter, r *http.Request) {
	body := h.readRequest(w, r, MaxReceiptSize)
	if body == nil {
		return
	}
	rec, err := election.ParseReceipt(body)
	if err != nil {
		h.reply(w, err)
		return
	}
	if rec.Position >= h.box.Results().Ballots {
		h.reply(w, fmt.Errorf("%w: position %d", ErrNotInLog, rec.Position))
		return
	}
	if !acquire(h.proving) {
		h.reply(w, ErrBusy)
		return
	}
	defer func() { <-h.proving }()
	// The wait for a checkpoint may outlast the server's write timeout.
	http.NewResponseController(w).SetWriteDeadline(time.Now().Add(h.opts.ProveTimeout + WriteTimeout))
	ctx, cancel := context.WithTimeout(r.Context(), h.opts.ProveTimeout)
	defer cancel()
	rec.Checkpoint, rec.Proof = nil, nil
	if err := h.box.Prove(ctx, rec); err != nil {
		if ctx.Err() != nil && r.Context().Err() == nil {
			err = ErrTimeout
		}
		h.reply(w, err)
		return
	}
	writeBytes(w, rec.Bytes())
}

// serveStatus is GET /v1/status.
func (h *Handler) serveStatus(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	body := h.status
	if time.Since(h.statusAt) >= statusPeriod {
		body = nil
	}
	h.mu.Unlock()
	if body == nil {
		res := h.box.Results()
		_, size, err := h.box.Checkpoint(r.Context())
		if err != nil {
			h.reply(w, err)
			return
		}
		st := Status{Ballots: res.Ballots, Voters: res.Voters, Closed: res.Closed, Size: size}
		if h.params.Secret == nil {
			st.Voters = res.Ballots
		}
		body, _ = json.Marshal(st)
		body = append(body, '\n')
		h.mu.Lock()
		h.status, h.statusAt = body, time.Now()
		h.mu.Unlock()
	}
	writeJSON(w, http.StatusOK, body)
}

// serveResults is GET /v1/results.
func (h *Handler) serveResults(w http.ResponseWriter, _ *http.Request) {
	h.mu.Lock()
	body := h.results
	h.mu.Unlock()
	if body == nil {
		res := h.box.Results()
		if !res.Closed {
			h.reply(w, ErrOpen)
			return
		}
		body, _ = json.Marshal(resultsOf(h.params, &res))
		body = append(body, '\n')
		h.mu.Lock()
		h.results = body // an ended election's results never change
		h.mu.Unlock()
	}
	writeJSON(w, http.StatusOK, body)
}

// resultsOf is the results reply of an ended election's results.
func resultsOf(p *election.Params, res *election.Results) *Results {
	out := &Results{Question: p.Question, Ballots: res.Ballots, Voters: res.Voters, Closed: res.Closed,
		Secret: p.Secret != nil, Head: field.Text(&res.Head)}
	if out.Secret {
		out.Note = secretNote
		for _, c := range res.Encrypted {
			b := c.Bytes()
			out.Encrypted = append(out.Encrypted, hex.EncodeToString(b[:]))
		}
		return out
	}
	out.Voters = res.Ballots
	for i, t := range res.Totals {
		if i < len(p.Options) {
			out.Totals = append(out.Totals, Total{Option: p.Options[i], Votes: t})
		}
	}
	return out
}

// serveLog serves a tlog-tiles resource of the log: name must be the
// checkpoint or a tile or entry bundle in its canonical name; anything
// else in the log's directory stays private.
func (h *Handler) serveLog(w http.ResponseWriter, r *http.Request, name string) {
	kind := parseLogPath(name)
	if kind == logNone {
		h.reply(w, ErrNotFound)
		return
	}
	hd := w.Header()
	switch kind {
	case logCheckpoint:
		hd.Set("Content-Type", "text/plain; charset=utf-8")
		hd.Set("Cache-Control", "no-store")
	case logPartial:
		hd.Set("Content-Type", "application/octet-stream")
		hd.Set("Cache-Control", "no-cache")
	default:
		hd.Set("Content-Type", "application/octet-stream")
		hd.Set("Cache-Control", "public, max-age=31536000, immutable")
	}
	if h.opts.LogDir == "" {
		data, err := h.readLog(r.Context(), name)
		if err != nil {
			hd.Del("Cache-Control")
			h.reply(w, err)
			return
		}
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(data))
		return
	}
	h.serveFile(w, r, h.opts.LogDir, name, kind != logCheckpoint)
}

// readLog reads a log resource through the box's log reader.
func (h *Handler) readLog(ctx context.Context, name string) ([]byte, error) {
	rd := h.box.LogReader()
	var data []byte
	var err error
	if name == "checkpoint" {
		data, err = rd.ReadCheckpoint(ctx)
	} else {
		level, index, p, entries := logCoordinates(name)
		if entries {
			data, err = rd.ReadEntryBundle(ctx, index, p)
		} else {
			data, err = rd.ReadTile(ctx, level, index, p)
		}
	}
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNotFound
	}
	return data, err
}

// serveFile serves the regular file name inside dir (never outside it,
// whatever links it holds). It checks that the file is regular before
// opening it: opening a FIFO would block the handler for good.
func (h *Handler) serveFile(w http.ResponseWriter, r *http.Request, dir, name string, modTime bool) {
	f, err := openRegular(dir, name)
	if err != nil {
		// Missing, not a regular file, or a link out of dir (os.Root
		// refuses it).
		if !errors.Is(err, os.ErrNotExist) {
			h.log.Warn("httpbox: a file not served", "name", name, "err", err)
		}
		w.Header().Del("Cache-Control")
		h.reply(w, ErrNotFound)
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		w.Header().Del("Cache-Control")
		h.reply(w, ErrNotFound)
		return
	}
	h.extendWrite(w, st.Size())
	var mt time.Time
	if modTime {
		mt = st.ModTime()
	}
	http.ServeContent(w, r, "", mt, f)
}

// errNotRegular is a served name that is not a regular file.
var errNotRegular = errors.New("not a regular file")

// openRegular opens the file name inside dir if it is a regular file.
func openRegular(dir, name string) (*os.File, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	st, err := root.Stat(name)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, errNotRegular
	}
	return root.Open(name)
}

// extendWrite extends the write deadline of a reply of size bytes so that
// a client reading at minDownloadRate gets it.
func (h *Handler) extendWrite(w http.ResponseWriter, size int64) {
	if size <= minDownloadRate {
		return
	}
	extra := time.Duration(size/minDownloadRate) * time.Second
	http.NewResponseController(w).SetWriteDeadline(time.Now().Add(WriteTimeout + extra))
}

// serveKey is GET /keys/NAME.
func (h *Handler) serveKey(w http.ResponseWriter, r *http.Request, name string) {
	if h.opts.KeyDir == "" || !validKeyName(name) || h.keyFiles != nil && !h.keyFiles[name] {
		h.reply(w, ErrNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Cache-Control", "no-cache")
	h.serveFile(w, r, h.opts.KeyDir, name, true)
}

// validKeyName reports whether name is a plain file name: letters, digits,
// '.', '_' and '-', not starting with '.', at most 128 bytes.
func validKeyName(name string) bool {
	if name == "" || len(name) > 128 || name[0] == '.' {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// serveWeb serves a file of Options.Web: p's index.html if p ends in /.
func (h *Handler) serveWeb(w http.ResponseWriter, r *http.Request, p string) {
	if strings.HasSuffix(p, "/") {
		p += "index.html"
	}
	name := strings.TrimPrefix(p, "/")
	if !fs.ValidPath(name) || hidden(name) {
		h.reply(w, ErrNotFound)
		return
	}
	// Stat before Open: opening a FIFO would block the handler for good.
	if st, err := fs.Stat(h.opts.Web, name); err != nil || !st.Mode().IsRegular() {
		h.reply(w, ErrNotFound)
		return
	}
	f, err := h.opts.Web.Open(name)
	if err != nil {
		h.reply(w, ErrNotFound)
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		h.reply(w, ErrNotFound)
		return
	}
	ct := mime.TypeByExtension(path.Ext(name))
	if ct == "" {
		ct = "application/octet-stream"
	}
	hd := w.Header()
	hd.Set("Content-Type", ct)
	hd.Set("Cache-Control", "no-cache")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Content-Security-Policy", "frame-ancestors 'none'")
	hd.Set("Referrer-Policy", "no-referrer")
	h.extendWrite(w, st.Size())
	if rs, ok := f.(io.ReadSeeker); ok {
		http.ServeContent(w, r, "", st.ModTime(), rs)
		return
	}
	data, err := readBody(f, st.Size(), maxWebFile, false)
	if err != nil {
		hd.Del("Cache-Control")
		h.reply(w, fmt.Errorf("httpbox: reading web file %s: %v", name, err))
		return
	}
	http.ServeContent(w, r, "", st.ModTime(), bytes.NewReader(data))
}

// hidden reports whether a path element of name starts with '.': such
// files (a checkout's .git, a server's .htpasswd) are never served.
func hidden(name string) bool {
	for e := range strings.SplitSeq(name, "/") {
		if strings.HasPrefix(e, ".") {
			return true
		}
	}
	return false
}

// reply writes the error reply for err: the status and code of the first
// code whose sentinel err wraps, else 500 internal. A reply about the
// server's own failure (5xx) names the failure, not its details, which go
// to the logger.
func (h *Handler) reply(w http.ResponseWriter, err error) {
	c := code{name: codeInternal, status: http.StatusInternalServerError}
	for _, k := range codes {
		if errors.Is(err, k.errs[0]) {
			c = k
			break
		}
	}
	msg := err.Error()
	switch {
	case c.name == codeInternal && errors.Is(err, errBadRequest):
		c = code{name: "bad-request", status: http.StatusBadRequest}
	case c.name == "busy":
		w.Header().Set("Retry-After", "1")
	case c.name == codeInternal && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)):
		// The client went away; nobody reads this.
		c = code{name: "canceled", status: http.StatusServiceUnavailable}
		msg = "httpbox: the request was canceled"
	case c.status >= 500:
		if errors.Is(err, election.ErrBoxFailed) {
			h.failed.Store(true)
		}
		h.log.Error("httpbox: request failed", "code", c.name, "err", err)
		msg = "httpbox: internal error"
		if len(c.errs) > 0 {
			msg = c.errs[0].Error()
		}
	}
	body, _ := json.Marshal(errorBody{Error: clean(msg, maxMessage), Code: c.name})
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, c.status, append(body, '\n'))
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	hd := w.Header()
	hd.Set("Content-Type", "application/json")
	if hd.Get("Cache-Control") == "" {
		hd.Set("Cache-Control", "no-store")
	}
	w.WriteHeader(status)
	w.Write(body)
}

func writeBytes(w http.ResponseWriter, body []byte) {
	hd := w.Header()
	hd.Set("Content-Type", "application/octet-stream")
	hd.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}
