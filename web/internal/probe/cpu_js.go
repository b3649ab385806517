//go:build js

package main

import (
	"syscall/js"
	"time"
)

// cpuTime is the process's CPU time where the host tells it (node's
// process.cpuUsage), else 0.
func cpuTime() time.Duration {
	p := js.Global().Get("process")
	if p.Type() != js.TypeObject || p.Get("cpuUsage").Type() != js.TypeFunction {
		return 0
	}
	u := p.Call("cpuUsage")
	return time.Duration(u.Get("user").Float()+u.Get("system").Float()) * time.Microsecond
}
