package trustee_test

import (
	"fmt"

	"github.com/netstate/zkvote/trustee"
)

// Example runs a 3-of-5 key generation, encrypts three votes, adds the
// ciphertexts and decrypts only their sum with three trustees, one of the
// others being offline.
func Example() {
	var keys []*trustee.LongTermKey
	setup := &trustee.Setup{Threshold: 3, Context: []byte("referendum 2026")}
	for range 5 {
		k, _ := trustee.GenerateLongTermKey(nil)
		keys = append(keys, k)
		setup.Keys = append(setup.Keys, k.Public())
	}
	// Round 1: every trustee deals; round 2: every trustee checks.
	var deals []*trustee.Deal
	for _, k := range keys {
		d, _ := k.Deal(setup, nil)
		deals = append(deals, d)
	}
	var complaints []*trustee.Complaint
	for _, k := range keys {
		cs, _ := k.Check(setup, deals, nil)
		complaints = append(complaints, cs...)
	}
	key, err := trustee.Finish(setup, deals, complaints)
	if err != nil {
		panic(err)
	}
	fmt.Println("qualified:", key.Qualified)

	// Voters encrypt; anyone adds the ciphertexts.
	sum := trustee.Zero()
	for _, v := range []uint64{1, 0, 1} {
		c, _, _ := trustee.Encrypt(key.PublicKey, v, nil)
		sum = sum.Add(c)
	}

	// Trustees 1, 4 and 5 decrypt the sum; anyone checks and combines.
	var partials []trustee.PartialDecryption
	for _, i := range []int{1, 4, 5} {
		share, _ := keys[i-1].Share(setup, deals, key)
		p, _ := share.PartialDecrypt(sum, []byte("option yes"), nil)
		partials = append(partials, p)
	}
	res, err := trustee.Combine(key.Threshold, key.Verification, sum, partials, []byte("option yes"), 3)
	if err != nil {
		panic(err)
	}
	fmt.Println("yes votes:", res.Value, "from trustees", res.Used)
	// Output:
	// qualified: [1 2 3 4 5]
	// yes votes: 2 from trustees [1 4 5]
}
