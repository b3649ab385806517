//go:build js && wasm

// Command helper computes parts of the browser voter's proofs in a second
// Web Worker, so that a proof uses two threads where Go compiled to
// WebAssembly has one. web.Build compiles it to helper.wasm (GOOS=js
// GOARCH=wasm); the page's helper.js runs it in a worker that the voter's
// worker starts. It sets one global, zkvoteHelper, with one method:
//
//	zkvoteHelper.call(op, args) → Promise
//
// which resolves with the op's result, or rejects with {code, message}.
// The ops:
//
//	"load" {part, bases} → {points}; part a number (msm.Part), bases a
//	                       Uint8Array (msm.EncodeG1Bases or EncodeG2Bases),
//	                       replacing the bases held for part; it resolves
//	                       once the part has run once (see warmUp)
//	"msm"  {part, scalars} → Uint8Array, the sum (msm.Bases.Run); scalars a
//	                       Uint8Array (msm.EncodeScalars)
//
// It imports only package prover/msm, so that it stays small. It sees
// each proof's whole witness, the voter's secret included: it runs in the
// page's own worker and sends nothing anywhere but back.
package main

import (
	"errors"
	"fmt"
	"sync"
	"syscall/js"

	"github.com/netstate/zkvote/prover/msm"
)

// The codes of the errors calls reject with.
const (
	codeInput    = "input"    // arguments that are not what the op takes
	codeState    = "state"    // an unknown op, or "msm" of a part not loaded
	codeInternal = "internal" // a panic
)

// callError is a failure with its code.
type callError struct {
	code string
	err  error
}

func (e *callError) Error() string { return e.err.Error() }

type helper struct {
	mu    sync.Mutex
	bases map[msm.Part]*msm.Bases
}

func main() {
	h := &helper{bases: map[msm.Part]*msm.Bases{}}
	js.Global().Set("zkvoteHelper", js.ValueOf(map[string]any{
		"call": js.FuncOf(h.call),
	}))
	select {} // serve calls until the worker ends
}

// call starts op in a goroutine (a js.Func must not block) and returns a
// Promise of its result.
func (h *helper) call(_ js.Value, args []js.Value) any {
	op, in := js.Undefined(), js.Undefined()
	if len(args) > 0 {
		op = args[0]
	}
	if len(args) > 1 {
		in = args[1]
	}
	var handler js.Func
	handler = js.FuncOf(func(_ js.Value, pa []js.Value) any {
		resolve, reject := pa[0], pa[1]
		go func() {
			defer handler.Release()
			defer func() {
				if r := recover(); r != nil {
					reject.Invoke(errorValue(codeInternal, fmt.Sprintf("helper: panic in %s: %v", op, r)))
				}
			}()
			v, err := h.run(op, in)
			if err != nil {
				code := codeInternal
				var ce *callError
				if errors.As(err, &ce) {
					code = ce.code
				}
				reject.Invoke(errorValue(code, err.Error()))
				return
			}
			resolve.Invoke(v)
		}()
		return nil
	})
	return js.Global().Get("Promise").New(handler)
}

func (h *helper) run(op, in js.Value) (any, error) {
	if op.Type() != js.TypeString {
		return nil, &callError{codeState, errors.New("helper: the op is not a string")}
	}
	var do func(msm.Part, js.Value) (any, error)
	switch op.String() {
	case "load":
		do = h.load
	case "msm":
		do = h.sum
	default:
		return nil, &callError{codeState, fmt.Errorf("helper: unknown op %q", op.String())}
	}
	if in.Type() != js.TypeObject {
		return nil, &callError{codeInput, fmt.Errorf("helper: %s: the arguments are not an object", op.String())}
	}
	p, err := partOf(in.Get("part"))
	if err != nil {
		return nil, err
	}
	return do(p, in)
}

// load is the op "load".
func (h *helper) load(p msm.Part, in js.Value) (any, error) {
	data, ok := bytesOf(in.Get("bases"))
	if !ok {
		return nil, &callError{codeInput, errors.New("helper: load: bases is not a Uint8Array")}
	}
	b, err := msm.ParseBases(data)
	if err != nil {
		return nil, &callError{codeInput, fmt.Errorf("helper: load: %v", err)}
	}
	if b.Part() != p {
		return nil, &callError{codeInput, fmt.Errorf("helper: load: the bases are of part %v, not %v", b.Part(), p)}
	}
	if err := warmUp(b); err != nil {
		return nil, err
	}
	h.mu.Lock()
	h.bases[p] = b
	h.mu.Unlock()
	return js.ValueOf(map[string]any{"points": b.Len()}), nil
}

// sum is the op "msm".
func (h *helper) sum(p msm.Part, in js.Value) (any, error) {
	scalars, ok := bytesOf(in.Get("scalars"))
	if !ok {
		return nil, &callError{codeInput, errors.New("helper: msm: scalars is not a Uint8Array")}
	}
	h.mu.Lock()
	b := h.bases[p]
	h.mu.Unlock()
	if b == nil {
		return nil, &callError{codeState, fmt.Errorf("helper: msm: part %v is not loaded", p)}
	}
	sum, err := b.Run(scalars, 1) // one thread: this worker's
	if err != nil {
		return nil, &callError{codeInput, fmt.Errorf("helper: msm: %v", err)}
	}
	out := js.Global().Get("Uint8Array").New(len(sum))
	js.CopyBytesToJS(out, sum)
	return out, nil
}

// warmUp runs b once over made-up scalars, an eighth of them (at least
// 256) not zero, and forgets the sum. A browser first runs WebAssembly
// with code compiled fast and optimises the functions that turn out hot
// in the background: left to the first proof, that costs the helper's
// part about a third more (measured in headless Chromium, where the
// compiler's threads compete with the voter's), while the voter is busy
// with its own part. Run here, it costs the keys' load a few hundred
// milliseconds, which the voter spends filling in the page. It runs over
// all of b's points, so that it takes the code paths of a proof's sum,
// which depend on their number.
func warmUp(b *msm.Bases) error {
	const scalarSize = 32
	n := b.Len()
	scalars := make([]byte, scalarSize*n)
	for i := range scalarSize * min(n, max(256, n/8)) {
		scalars[i] = byte(i*7919 + i>>8) // any bytes will do
	}
	for i := 0; i < len(scalars); i += scalarSize {
		scalars[i] &= 0x1f // below the group's order, 0x30644e…
	}
	if _, err := b.Run(scalars, 1); err != nil {
		return &callError{codeInternal, fmt.Errorf("helper: load: warming up part %v: %v", b.Part(), err)}
	}
	return nil
}

// partOf reads a part: a number naming one of msm.Parts.
func partOf(v js.Value) (msm.Part, error) {
	if v.Type() == js.TypeNumber {
		if f := v.Float(); f == float64(uint8(f)) && msm.Part(f).Valid() {
			return msm.Part(f), nil
		}
	}
	return 0, &callError{codeInput, fmt.Errorf("helper: part %s is not one of %v", js.Global().Get("String").Invoke(v).String(), msm.Parts)}
}

// bytesOf copies a Uint8Array into Go's memory.
func bytesOf(v js.Value) ([]byte, bool) {
	if v.Type() != js.TypeObject || !v.InstanceOf(js.Global().Get("Uint8Array")) {
		return nil, false
	}
	out := make([]byte, v.Length())
	js.CopyBytesToGo(out, v)
	return out, true
}

func errorValue(code, msg string) js.Value {
	return js.ValueOf(map[string]any{"code": code, "message": msg})
}
