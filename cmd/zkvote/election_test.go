package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/netstate/zkvote/election"
	"github.com/netstate/zkvote/internal/testkeys"
	"github.com/netstate/zkvote/membership"
	"github.com/netstate/zkvote/membership/membershiptest"
	"github.com/netstate/zkvote/trustee"
)

// testElectionKey runs a 2-of-3 key generation and writes the election key
// file "zkvote trustee finish" writes.
func testElectionKey(t *testing.T, path string) *trustee.ElectionKey {
	t.Helper()
	setup := &trustee.Setup{Threshold: 2, Context: []byte("zkvote cmd test")}
	var keys []*trustee.LongTermKey
	for range 3 {
		k, err := trustee.GenerateLongTermKey(nil)
		require.NoError(t, err)
		keys = append(keys, k)
		setup.Keys = append(setup.Keys, k.Public())
	}
	var deals []*trustee.Deal
	for _, k := range keys {
		d, err := k.Deal(setup, nil)
		require.NoError(t, err)
		deals = append(deals, d)
	}
	key, err := trustee.Finish(setup, deals, nil)
	require.NoError(t, err)
	b, err := key.Encode()
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, b, 0o600))
	return key
}

// TestElectionCommand drives the organiser's commands through the built
// binary: parameters from flags (heads from a census directory) and from a
// JSON spec (explicit heads, a flag overriding the spec), an open and a
// secret election, each pinning the keys "keys setup --dev" made; show
// and digest agree with the library; and the refusals, each exit 1 with a
// message and no file left.
func TestElectionCommand(t *testing.T) {
	bin := buildZkvote(t)
	tmp := t.TempDir()
	file := func(name string) string { return filepath.Join(tmp, name) }
	run := func(args ...string) string {
		t.Helper()
		out, stderr, err := runZkvote(bin, args...)
		require.NoError(t, err, "%v: %s", args, stderr)
		return out
	}
	keys, secretKeys, census := file("keys"), file("keys-secret"), file("census")
	run("keys", "setup", "--dev", "--dir", keys, "--depth", "2", "--options", "3", "--batch", "2")
	run("keys", "setup", "--dev", "--dir", secretKeys, "--secret", "--depth", "2", "--options", "3", "--pack", "1")
	cs := membershiptest.Commitments(0, 3)
	run("census", "add", "--dir", census, cs[0].String(), cs[1].String())
	run("census", "add", "--dir", census, cs[2].String())
	_, boxKey := testkeys.Key("box.example.org")
	_, w1 := testkeys.Key("w1.example.net")
	_, w2 := testkeys.Key("w2.example.net")
	require.NoError(t, os.WriteFile(file("box.vkey"), []byte(boxKey+"\n"), 0o600))

	// Open, from flags.
	open := file("open.params")
	out := run("election", "new", "--out", open, "--deployment", "1", "--election", "0x2026",
		"--question", "Adopt the charter?", "--option", "yes", "--option", "no", "--option", "abstain",
		"--rules", "approval:2", "--census", census, "--keys", keys, "--box-key", file("box.vkey"),
		"--witness-key", w1, "--witness-key", w2, "--quorum", "1")
	p, err := readParams(open)
	require.NoError(t, err)
	st, err := os.Stat(open)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	d, err := p.Digest()
	require.NoError(t, err)
	db := d.Bytes()
	digest := hex.EncodeToString(db[:])
	require.Equal(t, "parameters "+open+"\ndigest "+digest+"\n", out)
	require.Equal(t, election.Approval(2), p.Rules)
	require.Equal(t, []string{"yes", "no", "abstain"}, p.Options)
	require.Equal(t, 2, p.Depth)
	require.Equal(t, 3, p.MaxOptions)
	require.Equal(t, boxKey, p.Log.Box, "read from the file")
	require.Equal(t, []string{w1, w2}, p.Log.Witnesses)
	require.Equal(t, 1, p.Log.Quorum)
	require.Nil(t, p.Secret)
	want := membership.NewTree(nil)
	_, err = want.InsertMany(context.Background(), cs[:2])
	require.NoError(t, err)
	h2 := want.Head()
	_, err = want.Insert(cs[2])
	require.NoError(t, err)
	require.Equal(t, []membership.Head{h2, want.Head()}, p.Census, "every head of the census's epoch")
	require.NoError(t, p.CheckCensus(cs))
	vk, _, err := findVerifyingKey(keys, p.VoteKey)
	require.NoError(t, err)
	require.Equal(t, "vote/v3/depth=2/options=3", vk.Circuit())
	tk, _, err := findVerifyingKey(keys, p.TallyKey)
	require.NoError(t, err)
	require.Equal(t, "tally/v3/batch=2/options=3", tk.Circuit())

	require.Equal(t, digest+"\n", run("election", "digest", "--params", open))
	text := run("election", "show", "--params", open)
	for _, s := range []string{digest, "Adopt the charter?", "1. yes", "3. abstain", "approval:2", "size 2 root", "size 3 root",
		membership.Commitment(want.Root()).String(), "vote/v3/depth=2/options=3", boxKey, w1, w2, "quorum        1",
		hex.EncodeToString(p.VoteKey.ID[:]), hex.EncodeToString(p.TallyKey.ID[:])} {
		require.Contains(t, text, s)
	}
	var shown paramsOutput
	require.NoError(t, json.Unmarshal([]byte(run("election", "show", "--params", open, "--json")), &shown))
	require.Equal(t, digest, shown.Digest)
	require.Equal(t, "approval:2", shown.Rules)
	require.Equal(t, membership.Commitment(p.Scope()).String(), shown.Scope)
	require.Len(t, shown.Census, 2)
	require.NotNil(t, shown.TallyKey)
	require.Nil(t, shown.Secret)

	// Secret, from a spec; its census heads explicit; a flag overrides the
	// spec's question.
	key := testElectionKey(t, file("election.key"))
	head := func(h membership.Head) string {
		return strconv.FormatUint(h.Size, 10) + ":" + membership.Commitment(h.Root).String()
	}
	spec := map[string]any{
		"deployment": 1, "election": "2027", "question": "overridden", "options": []string{"a", "b"},
		"rules": "budget:3,4", "heads": []string{head(want.Head())}, "keys": "keys-secret",
		"box_key": boxKey, "election_key": "election.key",
	}
	sb, err := json.Marshal(spec)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(file("spec.json"), sb, 0o600))
	secret := file("secret.params")
	run("election", "new", "--from", file("spec.json"), "--question", "Which budget?", "--out", secret)
	sp, err := readParams(secret)
	require.NoError(t, err)
	require.Equal(t, "Which budget?", sp.Question)
	require.Equal(t, election.Budget(3, 4), sp.Rules)
	require.NotNil(t, sp.Secret)
	require.Equal(t, key.PublicKey, sp.Secret.Key)
	require.Equal(t, 2, sp.Secret.Threshold)
	require.Len(t, sp.Secret.Shares, 3)
	require.Equal(t, "secret-vote/v3/depth=2/options=3/pack=1", sp.VoteStatement().Name())
	require.Equal(t, election.KeyPin{}, sp.TallyKey)
	require.Equal(t, []membership.Head{want.Head()}, sp.Census)
	text = run("election", "show", "--params", secret)
	ek := key.PublicKey.Bytes()
	for _, s := range []string{"secret", "2 of 3", hex.EncodeToString(ek[:]), "trustee 3", "budget:3,4", "none: the trustees count"} {
		require.Contains(t, text, s)
	}

	// Refusals.
	base := []string{"election", "new", "--deployment", "1", "--election", "2", "--question", "q", "--option", "x",
		"--option", "y", "--census", census, "--keys", keys, "--box-key", boxKey}
	missing := file("refused.params")
	without := func(flag string) []string {
		var out []string
		for i := 0; i < len(base); i++ {
			if base[i] == flag {
				i++
				continue
			}
			out = append(out, base[i])
		}
		return out
	}
	require.NoError(t, os.WriteFile(file("bad.json"), []byte(`{"question": "q", "colour": "red"}`), 0o600))
	require.NoError(t, os.WriteFile(file("empty.key"), nil, 0o600))
	for name, c := range map[string]struct {
		args []string
		say  string
	}{
		"existing output":     {append(base, "--out", open), "exists"},
		"no deployment":       {append(without("--deployment"), "--out", missing), "deployment"},
		"id at r":             {append(base, "--election", "21888242871839275222246405745257275088548364400416034343698204186575808495617", "--out", missing), "modulus"},
		"id garbage":          {append(base, "--election", "seven", "--out", missing), "election"},
		"no options":          {append(without("--option"), "--out", missing), "option"},
		"too many options":    {append(base, "--option", "z", "--option", "w", "--out", missing), "options"},
		"bad rules":           {append(base, "--rules", "ranked", "--out", missing), "rules"},
		"bad approval":        {append(base, "--rules", "approval:x", "--out", missing), "rules"},
		"no census":           {append(without("--census"), "--out", missing), "census"},
		"census and heads":    {append(base, "--head", head(h2), "--out", missing), "not both"},
		"missing census":      {append(base, "--census", file("nowhere"), "--out", missing), "no census"},
		"bad head":            {append(without("--census"), "--head", "3:0xzz", "--out", missing), "census head"},
		"heads decreasing":    {append(without("--census"), "--head", head(want.Head()), "--head", head(h2), "--out", missing), "census head"},
		"no keys":             {append(without("--keys"), "--out", missing), "keys"},
		"keys for other size": {append(base, "--depth", "3", "--out", missing), "no vote key"},
		"no secret key":       {append(base, "--election-key", file("election.key"), "--out", missing), "no secret-vote key"},
		"bad election key":    {append(base, "--keys", secretKeys, "--election-key", file("empty.key"), "--out", missing), "election key"},
		"pack when open":      {append(base, "--pack", "2", "--out", missing), "pack"},
		"no box key":          {append(without("--box-key"), "--out", missing), "box key"},
		"bad box key":         {append(base, "--box-key", "not a key", "--out", missing), "box key"},
		"quorum too high":     {append(base, "--witness-key", w1, "--quorum", "2", "--out", missing), "quorum"},
		"unknown spec field":  {append(base, "--from", file("bad.json"), "--out", missing), "colour"},
		"no out":              {base, "out"},
	} {
		out, stderr, err := runZkvote(bin, c.args...)
		requireRefused(t, name, c.say, out, stderr, err)
		require.NoFileExists(t, missing, name)
	}
	require.NoDirExists(t, file("nowhere"), "no census was created")

	damaged, err := os.ReadFile(open)
	require.NoError(t, err)
	damaged = append(damaged, 0)
	require.NoError(t, os.WriteFile(file("damaged.params"), damaged, 0o600))
	for _, sub := range []string{"show", "digest"} {
		out, stderr, err := runZkvote(bin, "election", sub, "--params", file("damaged.params"))
		requireRefused(t, sub+" damaged", "malformed", out, stderr, err)
		out, stderr, err = runZkvote(bin, "election", sub, "--params", file("nothing"))
		requireRefused(t, sub+" missing", "nothing", out, stderr, err)
	}
	for _, sub := range []string{"new", "show", "digest"} {
		out := run("election", sub, "-h")
		require.Contains(t, out, "Examples:", sub)
	}
}
