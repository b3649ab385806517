package counts

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRoundTrip(t *testing.T) {
	m := map[string]int{"b x=1 backend=plonk": 7, "a x=2 backend=groth16": 5}
	s := Format([]string{"hello"}, m)
	require.Equal(t, "# hello\na x=2 backend=groth16 5\nb x=1 backend=plonk 7\n", s)
	got, err := Parse(strings.NewReader(s))
	require.NoError(t, err)
	require.Equal(t, m, got)
	for _, bad := range []string{"x y\n", "noname\n", "a 1.5\n", "5\n"} {
		_, err := Parse(strings.NewReader(bad))
		require.Error(t, err, bad)
	}
}

func TestCheckedInTable(t *testing.T) {
	m, err := Read("../../" + Path)
	require.NoError(t, err)
	require.Equal(t, 5294, m["membership depth=20 backend=groth16"])
}

func FuzzParse(f *testing.F) {
	f.Add("# c\na 1\n")
	f.Fuzz(func(t *testing.T, s string) {
		m, err := Parse(strings.NewReader(s))
		if err != nil {
			return
		}
		again, err := Parse(strings.NewReader(Format(nil, m)))
		require.NoError(t, err)
		require.Equal(t, m, again)
	})
}
