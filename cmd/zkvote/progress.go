package main

import (
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progress is a progress bar on stderr for a long step, shown only when
// stderr is a terminal (scripts and tests see nothing). The zero total
// means unknown until the first set. Its methods are safe on a nil
// *progress.
type progress struct {
	bar *progressbar.ProgressBar
}

// newProgress starts a bar described by desc; total may be 0 (unknown:
// a spinner) and set later.
func newProgress(desc string, total int) *progress {
	if !term.IsTerminal(int(os.Stderr.Fd())) {
		return nil
	}
	max := int64(total)
	if max == 0 {
		max = -1
	}
	return &progress{bar: progressbar.NewOptions64(max,
		progressbar.OptionSetWriter(os.Stderr),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionShowCount(),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)}
}

// set moves the bar to done of total.
func (p *progress) set(done, total int) {
	if p == nil {
		return
	}
	if total > 0 && int64(total) != p.bar.GetMax64() {
		p.bar.ChangeMax(total)
	}
	p.bar.Set(done)
}

// add moves the bar on by n.
func (p *progress) add(n int) {
	if p == nil {
		return
	}
	p.bar.Add(n)
}

// finish removes the bar.
func (p *progress) finish() {
	if p == nil {
		return
	}
	p.bar.Finish()
}

// spin shows a spinner described by desc until the returned stop is
// called, for a long step that reports no progress of its own (a setup, a
// ceremony contribution). Like newProgress it shows only on a terminal.
func spin(desc string) (stop func()) {
	p := newProgress(desc, 0)
	if p == nil {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				p.bar.Add(0) // redraws the spinner and the elapsed time
			}
		}
	}()
	return func() {
		close(done)
		<-finished
		p.finish()
	}
}
