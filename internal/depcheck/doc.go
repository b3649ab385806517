// Package depcheck holds tests that guard zkvote's dependencies. It has no
// code of its own.
//
// Its tests fail if gnark is older than a version without known soundness
// advisories, if the gnark version recorded in key files is not the one
// built, or if a package crosses one of the import boundaries described in
// the module's DESIGN.md (a ballot box or an auditor links nothing it would
// prove with).
package depcheck
