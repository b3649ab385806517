package statement_test

import (
	"fmt"

	"github.com/netstate/zkvote/statement"
)

func Example() {
	s := statement.Vote(20, 8)
	fmt.Println(s.Name(), "has", s.NbPublic(), "public inputs")

	back, err := statement.Parse("tally/v3/batch=64/options=8")
	fmt.Println(back.Kind(), back.Batch(), back.Options(), err)

	fmt.Println(statement.Vote(20, statement.MaxOptions+1).Check())
	// Output:
	// vote/v3/depth=20/options=8 has 17 public inputs
	// tally 64 8 <nil>
	// statement: vote options 56 outside [1, 55]
}
