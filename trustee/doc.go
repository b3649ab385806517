// Package trustee holds the threshold cryptography of secret ballots: the
// election key that t of n trustees share, exponential ElGamal encryption of
// votes under it, and the decryption of summed ciphertexts from partial
// decryptions that anyone can check.
//
// # Group
//
// Everything lives in the prime-order subgroup of BabyJubjub, the twisted
// Edwards curve over BN254's scalar field (gnark-crypto's
// ecc/bn254/twistededwards), so that a BN254 circuit can prove an
// encryption. [ParsePoint] accepts only canonical encodings of points in
// that subgroup: a point of small order, or with a small-order component,
// never enters. So does every other decoder but one:
// [ParseCiphertextXYOnCurve] skips the subgroup test, for ciphertexts that
// a verified proof binds to points of the subgroup. Scalars are integers
// modulo the subgroup order l (about 2^251).
//
// A ciphertext has two encodings: compressed ([Ciphertext.Bytes], 64
// bytes, each point's y and the sign of its x), and uncompressed
// ([Ciphertext.XY], 128 bytes, every coordinate), whose decoding needs no
// square root.
//
// # Encryption
//
// A value v is encrypted under the election key PK as C1 = k·G,
// C2 = v·G + k·PK with a fresh random k for every ciphertext ([Encrypt]).
// Ciphertexts add: the sum of the ciphertexts of a set of ballots is the
// ciphertext of their total, so nobody decrypts a single ballot. A [Sum]
// adds a ballot box's ciphertexts without inversions and can subtract a
// replaced ballot's. A plaintext may pack several options, each in a slot
// of 2^SlotBits (package statement): v = Σ_j a_j·2^(SlotBits·j).
//
// # Threshold decryption
//
// Trustee i holds s_i = f(i) for a secret polynomial f of degree t−1 whose
// f(0) is the election's secret key, and publishes its verification share
// s_i·G. To decrypt a summed ciphertext it publishes D_i = s_i·C1 with a
// Chaum–Pedersen proof ([ProveDLEQ]) that log_G(s_i·G) = log_C1(D_i).
// [CombinePoint] checks every partial decryption, names and skips bad
// ones, and interpolates f(0)·C1 from any t valid ones (Lagrange at zero,
// modulo l) to v·G = C2 − f(0)·C1; [Interpolate] is that last step alone,
// for a caller that verified the partial decryptions itself. A [Solver], built once per election,
// recovers v's slots by baby-step giant-step over the box [0, max]^slots
// the election's parameters fix (at most [MaxSearch] values, never an
// endless search); [Combine] does both for one unpacked value up to
// [MaxBound].
//
// # Key generation
//
// A key generation (joint-Feldman, as Pedersen proposed it) among n trustees
// with threshold t runs in two public rounds, over any channel:
//
//  1. Each trustee i draws a random polynomial f_i of degree t−1 and
//     publishes a [Deal]: commitments A_ik = a_ik·G to its coefficients, a
//     proof that it knows a_i0, and for every trustee j (itself included)
//     the share f_i(j) encrypted to j's long-term key under a fresh
//     ephemeral key of the deal.
//  2. Each trustee checks the shares it received against the commitments
//     ([LongTermKey.Check]) and publishes a [Complaint] against every dealer
//     whose share to it does not decrypt or does not match. A complaint
//     reveals the Diffie–Hellman point of the deal's ephemeral key and the
//     complainer's long-term key, with a proof that it is right, so anyone
//     can decrypt the disputed share, and no other, and judge it.
//
// Every deal is signed with its dealer's long-term key (Schnorr) and every
// complaint proven with its author's, so nothing posted in another
// trustee's name counts; every message is plain bytes with a strict
// decoder ([ParseDeal], [ParseComplaint]).
//
// [Finish] then disqualifies every dealer with an upheld complaint or two
// different deals, and from the rest (at least t) computes the election key
// PK = Σ A_i0 and every trustee's verification share Σ_i Σ_k A_ik·j^k.
// Trustee j's secret share is Σ_i f_i(j) over the same dealers
// ([LongTermKey.Share]). Nobody ever holds f(0) = Σ f_i(0), the election
// secret: learning it takes t trustees' shares.
//
// Its secrecy holds while fewer than t trustees collude, if at least one
// qualified dealer is honest. Joint-Feldman lets a dealer who speaks last
// bias the distribution of the election key (Gennaro, Jarecki, Krawczyk and
// Rabin, "Secure Distributed Key Generation for Discrete-Log Based
// Cryptosystems", J. Cryptology 2007); for threshold ElGamal, as here, that
// bias does not help decrypt (Gennaro et al., "Secure Applications of
// Pedersen's Distributed Key Generation Protocol", CT-RSA 2003). What it
// cannot do is choose the key outright: a dealer who picked its constant
// commitment as x·G − Σ the others' could fix the key to one whose secret x
// it knows whenever the honest trustees are fewer than t (n < 2t − 1),
// which is why every deal proves knowledge of its constant term (as FROST's
// first round does) and a deal without that proof is refused. A false
// complaint reveals one share of the accused dealer's polynomial to
// everyone and is dismissed; the dealer stays qualified. Rounds are not
// timed here: whoever runs the key generation decides when each round
// closes, and a deal published after the complaints were due leaves the
// trustees it cheats no time to complain.
//
// # Cost
//
// [Sum] adds a point with nine field multiplications and no inversion;
// [Sum.Ciphertext] inverts once. A [Solver] over N = (max+1)^slots values
// builds a table of about √(N/2) points once (its size at the bound is
// stated at [MaxSearch]), and each [Solver.Solve] takes at most as many
// point additions again. The benchmarks in bench_test.go measure both at
// an election's sizes.
//
// # Security
//
// Fiat–Shamir challenges hash a domain tag, the caller's context (the
// election and the ciphertext's place), the trustee index and every public
// point of the statement (for a partial decryption, both points of the
// ciphertext), with SHA-512 reduced modulo l (bias below 2^-260), so a
// proof cannot be replayed for another trustee, ciphertext or election.
// Partial decryptions are not signed: anyone can post one under any
// trustee's index, and [CombineResult].Bad names refused messages, not
// misbehaving trustees. Decryption is sound if the verification shares are the ones
// the key generation produced; the secrecy of votes rests on fewer than t
// trustees colluding. Scalar arithmetic uses math/big and is not constant
// time: run trustees on machines where timing is not observable by
// others.
package trustee
