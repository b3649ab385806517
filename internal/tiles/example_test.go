package tiles_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"

	"github.com/netstate/zkvote/internal/tiles"
)

// Example reads a log of three entries and recomputes its root, which a
// reader would compare with a verified checkpoint's.
func Example() {
	// The log as a directory: its one entry bundle is partial, of width 3.
	dir, err := os.MkdirTemp("", "tiles-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	var bundle []byte
	for _, e := range []string{"ballot 1", "ballot 2", "ballot 3"} {
		bundle = binary.BigEndian.AppendUint16(bundle, uint16(len(e)))
		bundle = append(bundle, e...)
	}
	os.MkdirAll(filepath.Join(dir, "tile", "entries", "000.p"), 0o755)
	os.WriteFile(filepath.Join(dir, "tile", "entries", "000.p", "3"), bundle, 0o644)

	var h tiles.Hasher
	err = tiles.Entries(context.Background(), tiles.Dir(dir), 0, 3, func(i uint64, entry []byte) error {
		fmt.Printf("%d: %s\n", i, entry)
		h.Append(entry)
		return nil
	})
	if err != nil {
		panic(err)
	}
	fmt.Println("size:", h.Size())
	fmt.Println("root:", h.Root())
	// Output:
	// 0: ballot 1
	// 1: ballot 2
	// 2: ballot 3
	// size: 3
	// root: x211vziX4q/c+4q8HrTJuov9hR/D0L7gJdHGSw9qSB4=
}
