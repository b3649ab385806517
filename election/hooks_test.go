package election

// SetAuditChunk sets how many ballots a streaming audit holds at once and
// returns a function that restores it.
func SetAuditChunk(n int) func() {
	old := auditChunk
	auditChunk = n
	return func() { auditChunk = old }
}

// StateFile is the box's state file's name (snapshot.go).
const StateFile = stateFile

// StateCovered returns how many entries' state the box took from its state
// file when it opened (0: it replayed every entry).
func (b *Box) StateCovered() uint64 { return b.covered }
