// Package tiles reads transparency logs in the C2SP tlog-tiles layout
// (https://c2sp.org/tlog-tiles), the static files Trillian Tessera writes:
// a signed checkpoint, hash tiles at tile/<L>/<N>[.p/<W>] and entry
// bundles at tile/entries/<N>[.p/<W>], where <N> is split into groups of
// three digits (x001/x234/067). A bundle holds up to 256 entries, each a
// big-endian uint16 length and then that many bytes (empty entries are
// allowed); a hash tile holds up to 256 SHA-256 hashes. All Merkle tree
// hashing is RFC 6962's, which is also golang.org/x/mod/sumdb/tlog's: a
// leaf hash is [tlog.RecordHash] of the entry, and the proofs this package
// builds verify with [tlog.CheckRecord] and [tlog.CheckTree].
//
// A log is read through a [Fetcher]: [Dir] for a directory (Tessera's
// POSIX storage root, or a copy of a published log), [URL] for a static
// file server, or Tessera's own tessera.LogReader, client.FileFetcher and
// client.HTTPFetcher, which have the same methods. [Entries] streams a
// range of entries, [Hasher] recomputes the tree root over them, and
// [InclusionProof] and [ConsistencyProof] build proofs from the hash tiles.
//
// Most users want: verify a checkpoint, then call [Entries] from 0 to its
// size, feed every entry to a [Hasher], and compare [Hasher.Root] with the
// checkpoint's root hash.
//
// # Partial and full resources
//
// The rightmost bundle and tiles of a tree whose size is not a multiple of
// 256 are partial: the bundle for a tree of size s ending mid-bundle is
// tile/entries/<N>.p/<s mod 256>. A log may delete a partial resource once
// the full one exists (Tessera's garbage collector does, for bundles and
// tiles that every published checkpoint has filled), so the fetchers here,
// like Tessera's, fall back to the full resource when a partial one is not
// found. A full bundle or tile served for a partial request is accepted
// after it is parsed in full, and only its first W entries or hashes are
// used; any other count is [ErrMalformed]. Hence the sizes this package
// takes: the size given to [InclusionProof] and [ConsistencyProof] must be
// one the log published a checkpoint for, and the end of a range given to
// [Entries] must be such a size or a smaller one whose last bundle that
// checkpoint fills. For other sizes the partial resources need not exist.
//
// # Security
//
// A [Fetcher] is untrusted. This package bounds every read (see
// [MaxCheckpointSize], [MaxTileSize], [MaxBundleSize]), checks the
// structure of every bundle and tile strictly, and never panics on what a
// log serves, but it authenticates nothing: entries are authentic only once
// the caller has compared the root a [Hasher] computed over them with the
// root of a checkpoint whose signatures the caller verified, and a proof
// only once [tlog.CheckRecord] or [tlog.CheckTree] accepts it against such
// a checkpoint. A log that serves wrong hashes in its tiles yields proofs
// that do not verify, not an error here.
package tiles
