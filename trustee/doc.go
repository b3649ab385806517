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
// never enters. Scalars are integers modulo the subgroup order l
// (about 2^251).
//
// # Encryption
//
// A value v is encrypted under the election key PK as C1 = k·G,
// C2 = v·G + k·PK with a fresh random k for every ciphertext ([Encrypt]).
// Ciphertexts add: the sum of the ciphertexts of a set of ballots is the
// ciphertext of their total, so nobody decrypts a single ballot.
//
// # Threshold decryption
//
// Trustee i holds s_i = f(i) for a secret polynomial f of degree t−1 whose
// f(0) is the election's secret key, and publishes its verification share
// s_i·G. To decrypt a summed ciphertext it publishes D_i = s_i·C1 with a
// Chaum–Pedersen proof ([ProveDLEQ]) that log_G(s_i·G) = log_C1(D_i).
// [Combine] checks every partial decryption, names and skips bad ones,
// interpolates f(0)·C1 from any t valid ones (Lagrange at zero, modulo l),
// and recovers v from v·G = C2 − f(0)·C1 by baby-step giant-step over a
// bound the election fixes ([Solve]; at most [MaxBound], never an endless
// search).
//
// # Security
//
// Fiat–Shamir challenges hash a domain tag, the caller's context (the
// election and the ciphertext's place), the trustee index and every public
// point of the statement, with SHA-512 reduced modulo l (bias below
// 2^-260), so a proof cannot be replayed for another trustee, ciphertext or
// election. Decryption is sound if the verification shares are the ones
// the key generation produced; the secrecy of votes rests on fewer than t
// trustees colluding. Scalar arithmetic uses math/big and is not constant
// time: run trustees on machines where timing is not observable by
// others.
package trustee
