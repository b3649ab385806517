package witness

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/tlog"
)

// MaxRequestSize bounds an add-checkpoint request body: the old size line,
// MaxProofHashes proof lines and a checkpoint of MaxCheckpointSize.
const MaxRequestSize = 32 + MaxProofHashes*(45) + 1 + MaxCheckpointSize

// FormatRequest returns the body of an add-checkpoint request.
func FormatRequest(oldSize int64, proof []tlog.Hash, checkpoint []byte) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "old %d\n", oldSize)
	for _, h := range proof {
		b.WriteString(base64.StdEncoding.EncodeToString(h[:]))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.Write(checkpoint)
	return b.Bytes()
}

// ParseRequest decodes an add-checkpoint request body strictly: "old N"
// with N in canonical decimal, at most MaxProofHashes lines of one base64
// hash each, an empty line, then the checkpoint (not verified here).
func ParseRequest(body []byte) (oldSize int64, proof []tlog.Hash, checkpoint []byte, err error) {
	if len(body) > MaxRequestSize {
		return 0, nil, nil, fmt.Errorf("%w: request of %d bytes", ErrMalformed, len(body))
	}
	line, rest, ok := bytes.Cut(body, []byte("\n"))
	num, found := strings.CutPrefix(string(line), "old ")
	if !ok || !found {
		return 0, nil, nil, fmt.Errorf("%w: no old size line", ErrMalformed)
	}
	oldSize, err = strconv.ParseInt(num, 10, 64)
	if err != nil || oldSize < 0 || strconv.FormatInt(oldSize, 10) != num {
		return 0, nil, nil, fmt.Errorf("%w: old size %q", ErrMalformed, num)
	}
	for {
		line, rest, ok = bytes.Cut(rest, []byte("\n"))
		if !ok {
			return 0, nil, nil, fmt.Errorf("%w: no empty line before the checkpoint", ErrMalformed)
		}
		if len(line) == 0 {
			break
		}
		if len(proof) == MaxProofHashes {
			return 0, nil, nil, fmt.Errorf("%w: more than %d proof lines", ErrMalformed, MaxProofHashes)
		}
		// Decode into room for what any line of this length could hold.
		var buf [tlog.HashSize + 1]byte
		if len(line) != base64.StdEncoding.EncodedLen(tlog.HashSize) {
			return 0, nil, nil, fmt.Errorf("%w: proof line %d", ErrMalformed, len(proof)+1)
		}
		if n, err := base64.StdEncoding.Strict().Decode(buf[:], line); err != nil || n != tlog.HashSize {
			return 0, nil, nil, fmt.Errorf("%w: proof line %d", ErrMalformed, len(proof)+1)
		}
		var h tlog.Hash
		copy(h[:], buf[:])
		proof = append(proof, h)
	}
	return oldSize, proof, rest, nil
}

// ServeHTTP serves C2SP tlog-witness's add-checkpoint at any path ending in
// /add-checkpoint: 200 with the cosignature lines, 400 for a malformed
// request, 403 for a bad signature, 404 for an unknown log, 409 for a
// stale old size (with the witness's size, text/x.tlog.size) or an
// equivocation, 422 for a failed consistency proof.
func (w *Witness) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	if !strings.HasSuffix(r.URL.Path, "/add-checkpoint") {
		http.NotFound(rw, r)
		return
	}
	if r.Method != http.MethodPost {
		rw.Header().Set("Allow", http.MethodPost)
		http.Error(rw, "add-checkpoint takes a POST", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(rw, r.Body, MaxRequestSize))
	if err != nil {
		http.Error(rw, "request too large or unreadable", http.StatusBadRequest)
		return
	}
	oldSize, proof, checkpoint, err := ParseRequest(body)
	if err == nil {
		var sigs []byte
		if sigs, err = w.AddCheckpoint(oldSize, proof, checkpoint); err == nil {
			rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
			rw.Write(sigs)
			return
		}
	}
	var conflict *ConflictError
	var equivocation *EquivocationError
	switch {
	case errors.As(err, &conflict):
		rw.Header().Set("Content-Type", "text/x.tlog.size")
		rw.WriteHeader(http.StatusConflict)
		fmt.Fprintf(rw, "%d\n", conflict.Size)
	case errors.As(err, &equivocation):
		http.Error(rw, err.Error(), http.StatusConflict)
	case errors.Is(err, ErrUnknownLog):
		http.Error(rw, err.Error(), http.StatusNotFound)
	case errors.Is(err, ErrSignature):
		http.Error(rw, err.Error(), http.StatusForbidden)
	case errors.Is(err, ErrProof):
		http.Error(rw, err.Error(), http.StatusUnprocessableEntity)
	case errors.Is(err, ErrMalformed):
		http.Error(rw, err.Error(), http.StatusBadRequest)
	default:
		http.Error(rw, "internal error", http.StatusInternalServerError)
	}
}

// Submit posts an add-checkpoint request to the witness at url (its
// submission prefix) and returns its cosignature lines. A stale old size
// comes back as a *ConflictError with the witness's size; other refusals
// wrap the matching error of this package.
func Submit(ctx context.Context, client *http.Client, url string, oldSize int64, proof []tlog.Hash, checkpoint []byte) ([]byte, error) {
	if client == nil {
		client = http.DefaultClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(url, "/")+"/add-checkpoint",
		bytes.NewReader(FormatRequest(oldSize, proof, checkpoint)))
	if err != nil {
		return nil, fmt.Errorf("witness: %v", err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("witness: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxCheckpointSize))
	if err != nil {
		return nil, fmt.Errorf("witness: %v", err)
	}
	msg := strings.TrimSpace(string(body))
	switch resp.StatusCode {
	case http.StatusOK:
		if err := checkSignatureLines(body); err != nil {
			return nil, err
		}
		return body, nil
	case http.StatusConflict:
		if resp.Header.Get("Content-Type") == "text/x.tlog.size" {
			n, err := strconv.ParseInt(msg, 10, 64)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("%w: conflict response %q", ErrMalformed, msg)
			}
			return nil, &ConflictError{Size: n}
		}
		return nil, fmt.Errorf("witness: refused (409): %s", msg)
	case http.StatusNotFound:
		return nil, fmt.Errorf("%w (404): %s", ErrUnknownLog, msg)
	case http.StatusForbidden:
		return nil, fmt.Errorf("%w (403): %s", ErrSignature, msg)
	case http.StatusUnprocessableEntity:
		return nil, fmt.Errorf("%w (422): %s", ErrProof, msg)
	case http.StatusBadRequest:
		return nil, fmt.Errorf("%w (400): %s", ErrMalformed, msg)
	}
	return nil, fmt.Errorf("witness: status %d: %s", resp.StatusCode, msg)
}

// checkSignatureLines checks that a response body is a sequence of note
// signature lines, each "— name base64\n".
func checkSignatureLines(body []byte) error {
	sc := bufio.NewScanner(bytes.NewReader(body))
	n := 0
	for sc.Scan() {
		if !strings.HasPrefix(sc.Text(), "— ") || strings.Count(sc.Text(), " ") != 2 {
			return fmt.Errorf("%w: response line %q", ErrMalformed, sc.Text())
		}
		n++
	}
	if n == 0 || !bytes.HasSuffix(body, []byte("\n")) {
		return fmt.Errorf("%w: no signature lines", ErrMalformed)
	}
	return nil
}
