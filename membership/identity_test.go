package membership

import (
	"bytes"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math/big"
	"strings"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/stretchr/testify/require"

	"github.com/netstate/zkvote/internal/poseidon2"
)

// fastKDF keeps argon2id cheap in tests; real files use DefaultKDFParams.
var fastKDF = &KDFParams{Time: 1, Memory: 8, Threads: 1}

func seedOf(b byte) []byte { return bytes.Repeat([]byte{b}, SeedSize) }

func TestIdentityDeterministic(t *testing.T) {
	a, err := NewIdentityFromSeed(seedOf(1))
	require.NoError(t, err)
	b, err := NewIdentityFromSeed(seedOf(1))
	require.NoError(t, err)
	c, err := NewIdentityFromSeed(seedOf(2))
	require.NoError(t, err)
	require.Equal(t, a.Commitment(), b.Commitment())
	require.NotEqual(t, a.Commitment(), c.Commitment())

	// secret = HKDF-SHA256(seed, info) to 48 bytes, mod r (computed here
	// with the standard library and math/big, independently of the code).
	okm, err := hkdf.Key(sha256.New, seedOf(1), nil, "zkvote/v1/identity-secret", 48)
	require.NoError(t, err)
	v := new(big.Int).SetBytes(okm)
	v.Mod(v, fr.Modulus())
	s := a.Secret()
	require.Equal(t, v, s.BigInt(new(big.Int)))
	want := poseidon2.Hash(poseidon2.TagIdentity, s)
	require.Equal(t, Commitment(want), a.Commitment())

	for _, n := range []int{0, 31, 33} {
		_, err := NewIdentityFromSeed(make([]byte, n))
		require.Error(t, err)
	}
	g1, err := GenerateIdentity()
	require.NoError(t, err)
	g2, err := GenerateIdentity()
	require.NoError(t, err)
	require.NotEqual(t, g1.Seed(), g2.Seed())
}

func TestNullifier(t *testing.T) {
	a, _ := NewIdentityFromSeed(seedOf(1))
	b, _ := NewIdentityFromSeed(seedOf(2))
	var s1, s2 fr.Element
	s1.SetUint64(1)
	s2.SetUint64(2)
	n11, n12, n21 := a.Nullifier(s1), a.Nullifier(s2), b.Nullifier(s1)
	require.False(t, n11.Equal(&n12), "one identity, two scopes: unlinkable nullifiers")
	require.False(t, n11.Equal(&n21), "two identities, one scope: distinct nullifiers")
	again := a.Nullifier(s1)
	require.True(t, n11.Equal(&again))
	sec := a.Secret()
	want := poseidon2.Hash(poseidon2.TagNullifier, sec, s1)
	require.True(t, want.Equal(&n11))
	// The nullifier is not the commitment's hash domain.
	c := a.Commitment().Element()
	require.False(t, c.Equal(&n11))
}

func TestCommitmentText(t *testing.T) {
	id, _ := NewIdentityFromSeed(seedOf(3))
	c := id.Commitment()
	s := c.String()
	require.True(t, strings.HasPrefix(s, "0x"))
	require.Len(t, s, 66)
	back, err := ParseCommitment(s)
	require.NoError(t, err)
	require.Equal(t, c, back)
	txt, err := c.MarshalText()
	require.NoError(t, err)
	var u Commitment
	require.NoError(t, u.UnmarshalText(txt))
	require.Equal(t, c, u)
	b := c.Bytes()
	fromB, err := CommitmentFromBytes(b[:])
	require.NoError(t, err)
	require.Equal(t, c, fromB)

	for _, bad := range []string{"", "0x0", "0x" + strings.Repeat("0", 64), "0", strings.ToUpper(s[2:]), s + "0", s[:65], " " + s} {
		_, err := ParseCommitment(bad)
		require.Error(t, err, "%q", bad)
	}
	_, err = ParseCommitment("0x" + strings.Repeat("0", 64))
	require.ErrorIs(t, err, ErrZeroCommitment)
	r := make([]byte, 32)
	fr.Modulus().FillBytes(r)
	_, err = ParseCommitment("0x" + hex.EncodeToString(r))
	require.Error(t, err)
	_, err = CommitmentFromBytes(r)
	require.Error(t, err)
	_, err = CommitmentFromBytes(make([]byte, 32))
	require.ErrorIs(t, err, ErrZeroCommitment)
	require.Error(t, u.UnmarshalText([]byte("nope")))
}

func TestIdentityFileRoundTrip(t *testing.T) {
	id, _ := NewIdentityFromSeed(seedOf(4))
	data, err := id.Encrypt([]byte("correct horse"), fastKDF)
	require.NoError(t, err)
	require.Len(t, data, IdentityFileSize)
	back, err := DecryptIdentity(data, []byte("correct horse"))
	require.NoError(t, err)
	require.Equal(t, id.Seed(), back.Seed())
	require.Equal(t, id.Commitment(), back.Commitment())
	p, err := ParseIdentityFileHeader(data)
	require.NoError(t, err)
	require.Equal(t, *fastKDF, p)

	// Two encryptions differ (fresh salt and nonce).
	data2, err := id.Encrypt([]byte("correct horse"), fastKDF)
	require.NoError(t, err)
	require.NotEqual(t, data, data2)
}

func TestIdentityFileRejects(t *testing.T) {
	id, _ := NewIdentityFromSeed(seedOf(5))
	pass := []byte("pass")
	data, err := id.Encrypt(pass, fastKDF)
	require.NoError(t, err)

	_, err = DecryptIdentity(data, []byte("wrong"))
	require.ErrorIs(t, err, ErrDecrypt)
	for n := 0; n < len(data); n++ {
		_, err := DecryptIdentity(data[:n], pass)
		require.ErrorIs(t, err, ErrMalformedIdentityFile, "truncated to %d", n)
	}
	_, err = DecryptIdentity(append(append([]byte(nil), data...), 0), pass)
	require.ErrorIs(t, err, ErrMalformedIdentityFile)
	// Every byte flipped: never a (different) identity. Flips in the KDF
	// parameters are capped to keep argon2id cheap here.
	for i := range data {
		b := append([]byte(nil), data...)
		b[i] ^= 0x01
		if i >= 9 && i < 18 {
			p, err := ParseIdentityFileHeader(b)
			if err == nil && uint64(p.Memory)*uint64(p.Time) > 1<<16 {
				continue
			}
		}
		got, err := DecryptIdentity(b, pass)
		require.Error(t, err, "flip at %d", i)
		require.Nil(t, got)
	}
	// Hostile KDF parameters are refused before any key derivation.
	b := append([]byte(nil), data...)
	binary.BigEndian.PutUint32(b[13:], 1<<31)
	_, err = DecryptIdentity(b, pass)
	require.ErrorIs(t, err, ErrMalformedIdentityFile)
	b = append([]byte(nil), data...)
	binary.BigEndian.PutUint32(b[9:], 0)
	_, err = DecryptIdentity(b, pass)
	require.ErrorIs(t, err, ErrMalformedIdentityFile)
	b = append([]byte(nil), data...)
	b[8] = 2
	_, err = DecryptIdentity(b, pass)
	require.ErrorIs(t, err, ErrMalformedIdentityFile)

	_, err = id.Encrypt(nil, fastKDF)
	require.Error(t, err)
	_, err = id.Encrypt(pass, &KDFParams{Time: 0, Memory: 8, Threads: 1})
	require.Error(t, err)
	_, err = id.Encrypt(pass, &KDFParams{Time: 1, Memory: 8, Threads: 2})
	require.Error(t, err)
}

func FuzzDecryptIdentity(f *testing.F) {
	id, _ := NewIdentityFromSeed(seedOf(6))
	data, err := id.Encrypt([]byte("pass"), fastKDF)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data, []byte("pass"))
	f.Add(data[:20], []byte("pass"))
	f.Add([]byte{}, []byte{})
	f.Fuzz(func(t *testing.T, data, pass []byte) {
		p, err := ParseIdentityFileHeader(data)
		if err != nil {
			_, err := DecryptIdentity(data, pass)
			require.ErrorIs(t, err, ErrMalformedIdentityFile)
			return
		}
		if uint64(p.Memory)*uint64(p.Time) > 1<<12 {
			return // valid but costly parameters: not a decoder question
		}
		got, err := DecryptIdentity(data, pass)
		if err != nil {
			return
		}
		// Only the authentic file opens; re-encrypting under the same
		// header's salt is not observable, so compare what it holds.
		require.Equal(t, id.Seed(), got.Seed())
	})
}

func FuzzParseCommitment(f *testing.F) {
	id, _ := NewIdentityFromSeed(seedOf(7))
	f.Add(id.Commitment().String())
	f.Add("0x" + strings.Repeat("0", 64))
	f.Add("1")
	f.Add("")
	// r − 25617: fr.Element.String prints values within 2^16 of r as
	// negative numbers, so it must never be the oracle (or the user's text).
	f.Add("21888242871839275222246405745257275088548364400416034343698204186575808470000")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCommitment(s)
		if err != nil {
			return
		}
		e := c.Element()
		require.False(t, e.IsZero())
		if strings.HasPrefix(s, "0x") {
			require.Equal(t, s, c.String(), "hex form is not exact")
		} else {
			require.Equal(t, s, e.BigInt(new(big.Int)).String(), "decimal form is not exact")
		}
	})
}
