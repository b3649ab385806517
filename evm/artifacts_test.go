package evm_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/netstate/zkvote/evm"
)

// TestArtifactsPinned: every artefact was built by the solc version that
// scripts/package-lock.json pins, and the DAO embedded in the package is
// the checked-in artefact. (scripts/solc --check compares every artefact
// with a fresh build byte for byte; it needs node.)
func TestArtifactsPinned(t *testing.T) {
	var lock struct {
		Packages map[string]struct{ Version string } `json:"packages"`
	}
	b, err := os.ReadFile(filepath.Join("scripts", "package-lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &lock); err != nil {
		t.Fatal(err)
	}
	pinned := lock.Packages["node_modules/solc"].Version
	if pinned == "" {
		t.Fatal("package-lock.json pins no solc")
	}
	files, _ := filepath.Glob(filepath.Join("artifacts", "*.json"))
	more, _ := filepath.Glob(filepath.Join("testdata", "artifacts", "*.json"))
	for _, f := range append(files, more...) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		a, err := evm.ParseArtifact(data)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(a.Compiler, pinned+"+commit.") {
			t.Errorf("%s was built by solc %s, the lock pins %s", f, a.Compiler, pinned)
		}
		if _, err := os.Stat(a.Source); err != nil {
			t.Errorf("%s: source %s: %v", f, a.Source, err)
		}
	}
	dao, err := evm.DAO()
	if err != nil {
		t.Fatal(err)
	}
	if dao.Name != "ZkVoteDAO" || len(dao.ABI.Methods["castBallot"].Inputs) != 3 {
		t.Fatalf("the embedded DAO is %s", dao.Name)
	}
}
