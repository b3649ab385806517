package circuits

import (
	"github.com/netstate/zkvote/statement"
)

// Typed shapes and assignments for tests, through the exported New and
// Assign.

func shapeMembership(depth int) (*Membership, error) {
	c, err := New(statement.Membership(depth))
	if err != nil {
		return nil, err
	}
	return c.(*Membership), nil
}

func shapeVote(depth, options int) (*Vote, error) {
	c, err := New(statement.Vote(depth, options))
	if err != nil {
		return nil, err
	}
	return c.(*Vote), nil
}

func shapeTally(batch, options int) (*Tally, error) {
	c, err := New(statement.Tally(batch, options))
	if err != nil {
		return nil, err
	}
	return c.(*Tally), nil
}

func assignMembershipT(depth int, w *MembershipWitness) (*Membership, error) {
	c, _, err := Assign(statement.Membership(depth), w)
	if err != nil {
		return nil, err
	}
	return c.(*Membership), nil
}

func assignVoteT(depth, options int, w *VoteWitness) (*Vote, error) {
	c, _, err := Assign(statement.Vote(depth, options), w)
	if err != nil {
		return nil, err
	}
	return c.(*Vote), nil
}

func assignTallyT(batch, options int, w *TallyWitness) (*Tally, *TallyResult, error) {
	c, _, err := Assign(statement.Tally(batch, options), w)
	if err != nil {
		return nil, nil, err
	}
	res, err := w.Result(batch, options)
	if err != nil {
		return nil, nil, err
	}
	return c.(*Tally), res, nil
}

func ptr[T any](v T) *T { return &v }
