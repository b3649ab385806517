//go:build js && wasm

package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"syscall/js"
	"time"

	"github.com/netstate/zkvote/prover"
	"github.com/netstate/zkvote/prover/msm"
)

// helperTimeout bounds each call of the helper from the moment it is
// sent: far more than loading a part's bases takes on a slow phone, so
// that a helper that stopped answering (a worker that ends sends no word)
// fails the call instead of hanging it. A part's sums are bounded more
// tightly, by what loading it took (sumTimeout).
const helperTimeout = 2 * time.Minute

// minSumTimeout is the least time a part's sum is given.
const minSumTimeout = 10 * time.Second

// jsHelper is the prover.Helper of the page: a second Web Worker
// (helper.js, running web/helper), which worker.js starts and reaches
// through its function zkvoteHelperCall(op, args) → Promise.
type jsHelper struct {
	call js.Value

	mu   sync.Mutex
	took map[msm.Part]time.Duration // what loading each part took, its first sum included
}

var _ prover.Helper = (*jsHelper)(nil)

// newJSHelper returns the worker's helper, or nil where the worker offers
// none (zkvoteHelperCall is missing: under Node.js, say). It asks the
// worker to start the helper now, so that helper.wasm loads while the
// keys do.
func newJSHelper() *jsHelper {
	call := js.Global().Get("zkvoteHelperCall")
	if call.Type() != js.TypeFunction {
		return nil
	}
	h := &jsHelper{call: call, took: map[msm.Part]time.Duration{}}
	wait := h.send("start", map[string]any{}, helperTimeout)
	go wait(context.Background()) // a failure to start fails the first load
	return h
}

// Load implements prover.Helper. The helper runs the part once as it
// loads it (web/helper), so the time it takes bounds the part's sums.
func (h *jsHelper) Load(ctx context.Context, p msm.Part, bases []byte) error {
	start := time.Now()
	_, err := h.send("load", map[string]any{"part": int(p), "bases": uint8Array(bases)}, helperTimeout)(ctx)
	if err == nil {
		h.mu.Lock()
		h.took[p] = time.Since(start)
		h.mu.Unlock()
	}
	return err
}

// sumTimeout bounds a sum of part p: ten times what loading the part took
// (a sum over the same points, on code not yet optimised, plus the copy
// of the bases), at least minSumTimeout and at most helperTimeout. A
// helper that stopped answering fails a proof within it: its parts are
// sent together, so their bounds run together.
func (h *jsHelper) sumTimeout(p msm.Part) time.Duration {
	h.mu.Lock()
	took, ok := h.took[p]
	h.mu.Unlock()
	if !ok {
		return helperTimeout
	}
	return min(max(10*took, minSumTimeout), helperTimeout)
}

// Start implements prover.Helper: the message leaves for the helper
// before Start returns, so that the helper works while the prover does.
func (h *jsHelper) Start(p msm.Part, scalars []byte) func() ([]byte, error) {
	wait := h.send("msm", map[string]any{"part": int(p), "scalars": uint8Array(scalars)}, h.sumTimeout(p))
	return func() ([]byte, error) {
		v, err := wait(context.Background())
		if err != nil {
			return nil, err
		}
		sum := bytesOf(v)
		if sum == nil {
			return nil, fmt.Errorf("voter: the helper's sum of part %v is not a Uint8Array", p)
		}
		return sum, nil
	}
}

// send calls zkvoteHelperCall(op, args) at once and returns a function
// that waits for its result: until the promise settles, timeout has
// passed since the call was sent, or ctx ends. The wait must run on
// another goroutine than the JavaScript event loop's (a js.Func's), which
// it needs to be told the result.
func (h *jsHelper) send(op string, args map[string]any, timeout time.Duration) func(ctx context.Context) (js.Value, error) {
	deadline := time.Now().Add(timeout)
	type reply struct {
		v   js.Value
		err error
	}
	done := make(chan reply, 1)
	var then, catch js.Func
	release := func() {
		then.Release()
		catch.Release()
	}
	then = js.FuncOf(func(_ js.Value, a []js.Value) any {
		release()
		done <- reply{v: argAt(a, 0)}
		return nil
	})
	catch = js.FuncOf(func(_ js.Value, a []js.Value) any {
		release()
		done <- reply{err: helperError(op, argAt(a, 0))}
		return nil
	})
	if err := invoke(h.call, op, args, then, catch); err != nil {
		release()
		done <- reply{err: err}
	}
	return func(ctx context.Context) (js.Value, error) {
		t := time.NewTimer(time.Until(deadline))
		defer t.Stop()
		select {
		case r := <-done:
			return r.v, r.err
		case <-t.C:
			return js.Undefined(), fmt.Errorf("voter: the helper did not answer %s within %v", op, timeout.Round(time.Millisecond))
		case <-ctx.Done():
			return js.Undefined(), ctx.Err()
		}
	}
}

// invoke calls call(op, args).then(then, catch), turning a JavaScript
// exception (which syscall/js panics with) into an error.
func invoke(call js.Value, op string, args map[string]any, then, catch js.Func) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("voter: calling the helper (%s): %v", op, r)
		}
	}()
	p := call.Invoke(op, args)
	if p.Type() != js.TypeObject || p.Get("then").Type() != js.TypeFunction {
		return fmt.Errorf("voter: zkvoteHelperCall(%q) did not return a promise", op)
	}
	p.Call("then", then, catch)
	return nil
}

// helperError words a rejection of a helper call: {code, message}, or
// anything else.
func helperError(op string, v js.Value) error {
	if v.Type() == js.TypeObject && v.Get("message").Type() == js.TypeString {
		code := "?"
		if c := v.Get("code"); c.Type() == js.TypeString {
			code = c.String()
		}
		return fmt.Errorf("voter: the helper failed %s (%s): %s", op, code, v.Get("message").String())
	}
	if v.Type() == js.TypeUndefined {
		return errors.New("voter: the helper failed " + op)
	}
	return fmt.Errorf("voter: the helper failed %s: %s", op, js.Global().Call("String", v).String())
}
