// Package counts reads and writes the checked-in table of circuit sizes
// (circuits/testdata/constraints.txt): one "name value" per line, with
// comment lines starting with '#'. The circuits tests and the benchmark gate
// both compare against it.
package counts

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
)

// Path is the table's location relative to the module root.
const Path = "circuits/testdata/constraints.txt"

// Parse reads a table.
func Parse(r io.Reader) (map[string]int, error) {
	out := map[string]int{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		i := strings.LastIndexByte(l, ' ')
		n, err := strconv.Atoi(l[i+1:])
		if i < 0 || err != nil {
			return nil, fmt.Errorf("counts: bad line %q", l)
		}
		out[l[:i]] = n
	}
	return out, sc.Err()
}

// Read reads the table at path.
func Read(path string) (map[string]int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Parse(f)
}

// Format writes a table, sorted by name, under the given comment lines.
func Format(header []string, m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, h := range header {
		fmt.Fprintf(&b, "# %s\n", h)
	}
	for _, k := range keys {
		fmt.Fprintf(&b, "%s %d\n", k, m[k])
	}
	return b.String()
}
