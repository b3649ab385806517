// Package depcheck holds tests that pin zkvote's dependencies to versions
// without known soundness advisories. It has no code of its own.
package depcheck
