//go:build js && wasm

// Command voter is zkvote's browser voter, compiled to WebAssembly
// (GOOS=js GOARCH=wasm) by web.Build and run in a Web Worker by the page's
// worker.js. It sets one global, zkvoteVoter, with one method:
//
//	zkvoteVoter.call(op, args, onProgress) → Promise
//
// which runs one step of a session (package web/internal/session) and
// resolves with a plain object, or rejects with {code, message}. The ops:
//
//	"open"   {base, digest}        → the election (session.Election)
//	"keys"   {mode, helper}        → session.KeyStats; mode "trusted" or "checked"
//	"unlock" {identity, passphrase}→ {commitment, ms}; identity a Uint8Array
//	"census" {proof}               → {}; proof a Uint8Array
//	"vote"   {votes}               → session.Vote, receipt a Uint8Array
//
// onProgress, if a function, is called with each step of "vote" as it
// starts. The identity's secret stays in this worker's memory and the
// helper's; only the ballot and the receipt requests leave them.
//
// Unless "keys" is given helper: false, the voter hands parts of each
// proof to a helper (web/helper) in a second Web Worker, which worker.js
// offers as zkvoteHelperCall: a proof then runs on two threads. Where
// there is none, or it fails to start or to load its parts, the voter
// proves alone; the result of "keys" says which (helper, helperError).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"syscall/js"
	"time"

	"github.com/consensys/gnark/logger"

	"github.com/netstate/zkvote/prover"
	"github.com/netstate/zkvote/web/internal/session"
)

// maxVote bounds a vote read from JavaScript before the rules check it.
const maxVote = 1 << 32

type bridge struct {
	s *session.Session
}

func main() {
	logger.Disable() // gnark logs every proof to the console
	b := &bridge{}
	js.Global().Set("zkvoteVoter", js.ValueOf(map[string]any{
		"call": js.FuncOf(b.call),
	}))
	select {} // serve calls until the worker ends
}

// call starts op in a goroutine (a js.Func must not block) and returns a
// Promise of its result.
func (b *bridge) call(_ js.Value, args []js.Value) any {
	op := argAt(args, 0).String()
	in := argAt(args, 1)
	progress := argAt(args, 2)
	promise := js.Global().Get("Promise")
	var handler js.Func
	handler = js.FuncOf(func(_ js.Value, pa []js.Value) any {
		resolve, reject := pa[0], pa[1]
		go func() {
			defer handler.Release()
			defer func() {
				if r := recover(); r != nil {
					reject.Invoke(errorValue(session.CodeInternal, fmt.Sprintf("voter: panic in %s: %v", op, r)))
				}
			}()
			v, err := b.run(op, in, progress)
			if err != nil {
				reject.Invoke(errorValue(session.CodeOf(err), err.Error()))
				return
			}
			resolve.Invoke(v)
		}()
		return nil
	})
	return promise.New(handler)
}

func (b *bridge) run(op string, in, progress js.Value) (any, error) {
	ctx := context.Background()
	if op != "open" && b.s == nil {
		return nil, &session.Error{Code: session.CodeState, Err: errors.New("voter: call open first")}
	}
	switch op {
	case "open":
		s, err := session.New(in.Get("base").String(), &http.Client{Timeout: 5 * time.Minute})
		if err != nil {
			return nil, err
		}
		b.s = s
		e, err := s.Open(ctx, optString(in.Get("digest")))
		if err != nil {
			return nil, err
		}
		return toJS(e)
	case "keys":
		mode := prover.Trusted
		if optString(in.Get("mode")) == "checked" {
			mode = prover.Checked
		}
		var opts *session.KeyOptions
		noHelper := ""
		if h := in.Get("helper"); h.Type() != js.TypeBoolean || h.Bool() {
			if jh := newJSHelper(); jh != nil {
				opts = &session.KeyOptions{Helper: jh}
			} else {
				noHelper = "voter: this worker offers no helper (zkvoteHelperCall)"
			}
		}
		st, err := b.s.LoadKeys(ctx, mode, opts)
		if err != nil {
			return nil, err
		}
		if st.HelperError == "" {
			st.HelperError = noHelper
		}
		return toJS(st)
	case "unlock":
		file := bytesOf(in.Get("identity"))
		pass := []byte(in.Get("passphrase").String())
		start := time.Now()
		c, err := b.s.Unlock(file, pass)
		if err != nil {
			return nil, err
		}
		return js.ValueOf(map[string]any{"commitment": c, "ms": float64(time.Since(start).Microseconds()) / 1000}), nil
	case "census":
		if err := b.s.Census(bytesOf(in.Get("proof"))); err != nil {
			return nil, err
		}
		return js.ValueOf(map[string]any{}), nil
	case "vote":
		votes, err := votesOf(in.Get("votes"))
		if err != nil {
			return nil, &session.Error{Code: session.CodeRules, Err: err}
		}
		if progress.Type() == js.TypeFunction {
			b.s.Progress = func(step string) { progress.Invoke(step) }
			defer func() { b.s.Progress = nil }()
		}
		v, err := b.s.Vote(ctx, votes)
		if err != nil {
			return nil, err
		}
		out, err := toJS(v)
		if err != nil {
			return nil, err
		}
		out.Set("receipt", uint8Array(v.Receipt))
		return out, nil
	}
	return nil, &session.Error{Code: session.CodeState, Err: fmt.Errorf("voter: unknown op %q", op)}
}

// toJS turns v into a JavaScript object through JSON.
func toJS(v any) (js.Value, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return js.Undefined(), err
	}
	return js.Global().Get("JSON").Call("parse", string(b)), nil
}

func errorValue(code, msg string) js.Value {
	return js.ValueOf(map[string]any{"code": code, "message": msg})
}

func argAt(args []js.Value, i int) js.Value {
	if i < len(args) {
		return args[i]
	}
	return js.Undefined()
}

func optString(v js.Value) string {
	if v.Type() != js.TypeString {
		return ""
	}
	return v.String()
}

// bytesOf copies a Uint8Array (or anything else: nil).
func bytesOf(v js.Value) []byte {
	if v.Type() != js.TypeObject || !v.InstanceOf(js.Global().Get("Uint8Array")) {
		return nil
	}
	out := make([]byte, v.Get("length").Int())
	js.CopyBytesToGo(out, v)
	return out
}

func uint8Array(b []byte) js.Value {
	a := js.Global().Get("Uint8Array").New(len(b))
	js.CopyBytesToJS(a, b)
	return a
}

// votesOf reads an array of whole numbers in [0, 2^32).
func votesOf(v js.Value) ([]uint64, error) {
	if v.Type() != js.TypeObject || !js.Global().Get("Array").Call("isArray", v).Bool() {
		return nil, errors.New("voter: votes are not an array")
	}
	n := v.Length()
	if n > 255 {
		return nil, fmt.Errorf("voter: %d votes", n)
	}
	out := make([]uint64, n)
	for i := range n {
		e := v.Index(i)
		if e.Type() != js.TypeNumber {
			return nil, fmt.Errorf("voter: vote %d is not a number", i+1)
		}
		f := e.Float()
		if f < 0 || f >= maxVote || f != math.Trunc(f) {
			return nil, fmt.Errorf("voter: vote %d (%v) is not a whole number from 0 to %d", i+1, f, uint64(maxVote-1))
		}
		out[i] = uint64(f)
	}
	return out, nil
}
