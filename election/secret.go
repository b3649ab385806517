package election

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/netstate/zkvote/statement"
	"github.com/netstate/zkvote/trustee"
)

// SecretMode makes an election's ballots secret: each ballot proves
// statement.SecretVote and carries its votes encrypted under the trustees'
// election key (package trustee), Pack options to a ciphertext. A citizen
// may vote again with a higher counter; the latest ballot counts. The box
// and every auditor sum the latest ciphertexts; after the election ends
// the trustees decrypt only that sum ([PartialDecrypt]), and [AuditSecret]
// checks their work and returns the totals.
//
// Take the key, threshold and verification shares from the trustees' key
// generation (trustee.Finish): [NewSecretMode] does.
type SecretMode struct {
	Key       trustee.Point   // the election public key
	Threshold int             // partial decryptions needed, 1 to len(Shares)
	Shares    []trustee.Point // the verification share of trustee i+1 at index i
	// Pack is the number of options per ciphertext, 1 or 2 (0 means
	// statement.DefaultPack). Two halve the proof's cost; the parameters
	// refuse a packing whose totals the trustees could not recover (see
	// [Params.MaxOptionTotal]).
	Pack int
}

// NewSecretMode returns the secret mode of an election whose trustees made
// key, with pack options per ciphertext (0 for the default).
func NewSecretMode(key *trustee.ElectionKey, pack int) (*SecretMode, error) {
	if key == nil {
		return nil, errors.New("election: no election key")
	}
	m := &SecretMode{Key: key.PublicKey, Threshold: key.Threshold, Pack: pack}
	for i := 1; i <= len(key.Verification); i++ {
		vk, ok := key.Verification[i]
		if !ok {
			return nil, fmt.Errorf("election: the election key has no verification share for trustee %d", i)
		}
		m.Shares = append(m.Shares, vk)
	}
	return m, m.validate()
}

func (m *SecretMode) pack() int {
	if m.Pack == 0 {
		return statement.DefaultPack
	}
	return m.Pack
}

func (m *SecretMode) validate() error {
	switch {
	case len(m.Shares) < 1 || len(m.Shares) > trustee.MaxTrustees:
		return fmt.Errorf("election: %d trustees, want 1 to %d", len(m.Shares), trustee.MaxTrustees)
	case m.Threshold < 1 || m.Threshold > len(m.Shares):
		return fmt.Errorf("election: threshold %d of %d trustees", m.Threshold, len(m.Shares))
	case m.Pack < 0 || m.Pack > statement.MaxPack:
		return fmt.Errorf("election: %d options per ciphertext, want 1 to %d", m.Pack, statement.MaxPack)
	case !valid(m.Key):
		return errors.New("election: the election key is not a point of the prime-order subgroup other than the identity")
	}
	for i, s := range m.Shares {
		if !valid(s) {
			return fmt.Errorf("election: verification share %d is not a point of the prime-order subgroup other than the identity", i+1)
		}
	}
	// The key must be the shares' (else whoever chose it reads every
	// ballot) and every share on their polynomial (else decryptions that
	// use it fail).
	if err := trustee.CheckKey(m.Threshold, m.Key, m.Shares); err != nil {
		return fmt.Errorf("election: %w", err)
	}
	return nil
}

// valid reports whether p is in the prime-order subgroup and not the
// identity: a Point made by package trustee always is in the subgroup, but
// a struct can be filled by hand, so the parameters check it again.
func valid(p trustee.Point) bool {
	b := p.Bytes()
	q, err := trustee.ParsePoint(b[:])
	return err == nil && q.Equal(p) && !p.IsIdentity()
}

// MaxOptionTotal returns the largest total one option can reach in the
// election: the census's largest head size (one counted ballot per
// citizen) times the largest value one ballot can give an option under the
// rules. In secret mode, the parameters require it below
// 2^statement.SlotBits (a packed slot never carries into the next) and the
// trustees' search over a ciphertext's slots, (MaxOptionTotal+1)^Pack
// values, within trustee.MaxSearch.
func (p *Params) MaxOptionTotal() *big.Int {
	per := p.Rules.MaxPerOption
	if budget := p.Rules.MaxTotal; p.Rules.CostExponent == 2 {
		per = min(per, new(big.Int).Sqrt(new(big.Int).SetUint64(budget)).Uint64())
	} else {
		per = min(per, budget)
	}
	var size uint64
	if len(p.Census) > 0 {
		size = p.Census[len(p.Census)-1].Size
	}
	return new(big.Int).Mul(new(big.Int).SetUint64(size), new(big.Int).SetUint64(per))
}

// checkSearch refuses secret parameters whose totals the trustees could
// not recover.
func (p *Params) checkSearch() error {
	t := p.MaxOptionTotal()
	if t.BitLen() > statement.SlotBits {
		return fmt.Errorf("election: an option's total may reach %s, not below 2^%d", t, statement.SlotBits)
	}
	space := new(big.Int).Exp(new(big.Int).Add(t, big.NewInt(1)), big.NewInt(int64(p.Secret.pack())), nil)
	if space.Cmp(new(big.Int).SetUint64(trustee.MaxSearch)) > 0 {
		return fmt.Errorf("election: the trustees would search %s values per ciphertext for totals up to %s, above %d; pack fewer options per ciphertext or bound the rules",
			space, t, uint64(trustee.MaxSearch))
	}
	return nil
}
