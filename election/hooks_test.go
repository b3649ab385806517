package election

// SetAuditChunk sets how many ballots a streaming audit holds at once and
// returns a function that restores it.
func SetAuditChunk(n int) func() {
	old := auditChunk
	auditChunk = n
	return func() { auditChunk = old }
}
