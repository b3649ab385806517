// Package httpbox serves an election's ballot box ([election.Box]) over
// HTTP, to voters on the open internet, and is the client voters, their
// browsers and auditors reach it with.
//
// The routes, every reply with a Content-Type and every error a JSON object
// {"error": message, "code": code}:
//
//	POST /v1/ballots    a ballot's bytes (application/octet-stream, at most
//	                    MaxBallotSize); 200: the receipt's bytes
//	                    (election.Receipt.Bytes, without the log's proof)
//	POST /v1/receipts   a receipt's bytes; 200: the receipt with a checkpoint
//	                    and inclusion proof (election.Box.Prove), waiting at
//	                    most Options.ProveTimeout for a checkpoint (else 504)
//	GET  /v1/params     the election's parameters (election.Params.Encode)
//	GET  /v1/status     JSON {"ballots", "voters", "closed", "size"}
//	GET  /v1/results    JSON results, once the election has ended (else 409)
//	GET  /healthz       200, or 503 (failed) once a write of the box's log
//	                    has failed (reopen the box)
//	GET  /log/checkpoint, /log/tile/...
//	                    the ballot log (C2SP tlog-tiles), nothing else of
//	                    the log's directory
//	GET  /keys/NAME     the vote statement's key files, for the browser
//	GET  /              the browser voter's files, when Options.Web is set
//
// The error codes, their HTTP statuses and the sentinel errors a [Client]
// returns for them (errors.Is works across HTTP):
//
//	duplicate 409        election.ErrDuplicateNullifier
//	stale 409            election.ErrStaleBallot
//	wrong-election 422   election.ErrWrongElection
//	rules 422            election.ErrRulesMismatch
//	unknown-root 422     election.ErrUnknownRoot
//	ciphertext-hash 422  election.ErrCiphertextHash
//	key-mismatch 422     verifier.ErrKeyMismatch
//	invalid-proof 422    verifier.ErrInvalidProof
//	malformed 400        election.ErrMalformedBallot
//	malformed-receipt 400 election.ErrMalformedReceipt
//	not-in-log 404       ErrNotInLog
//	closed 410           election.ErrClosed
//	busy 503             ErrBusy (with Retry-After)
//	failed 503           election.ErrBoxFailed
//	outcome-unknown 500  election.ErrOutcomeUnknown and election.ErrBoxFailed
//	too-large 413        ErrTooLarge
//	timeout 504          ErrTimeout
//	open 409             ErrOpen
//	not-found 404        ErrNotFound
//	method 405           ErrMethod
//	corrupt 500          election.ErrCorrupt
//	bad-request 400      none (a body cut short or too slow)
//	canceled 503         none (the client went away)
//	internal 500         none
//
// Most users want [NewHandler] and [NewServer] on the box's machine (the
// zkvote command's "box serve" runs them), and [NewClient] on a voter's.
//
// # Security
//
// The server is meant to face the open internet. A request never reaches
// the box's proof verification before the cheap checks: the body's size is
// bounded before it is read (a declared Content-Length over the bound is
// refused unread), and election.Box.Submit parses the ballot strictly and
// checks its election, rules, root and nullifier before it verifies the
// proof. Submissions being read and being checked are bounded
// (Options.MaxInFlight): the excess gets 503 with Retry-After at once
// instead of a queue. The timeouts of [NewServer] bound slow clients
// (headers and bodies dribbled), and the write deadline of a key file grows
// with its size only at a minimum rate. Under /log/ only the checkpoint and
// tiles of the tlog-tiles layout, in their canonical names, are served,
// from inside the log's directory (os.Root): never Tessera's state files.
// Replies about the server's own failures name the failure, not its
// details, which go to Options.Logger.
//
// Serve on a listener that bounds the connections held open below the
// process's file descriptor limit, with room for the box's log (zkvote box
// serve does): Tessera's POSIX storage panics when it cannot open its lock
// file, so a client that opens connections until descriptors run out
// would otherwise kill the box at the next ballot's write.
//
// What the server does not do: limit connections or requests per client
// address, or terminate TLS. Run it behind a reverse proxy that does both
// for an election on the internet; without TLS a network observer reads
// every ballot and receipt in transit (they are public in the log anyway,
// but their timing and source address are not).
//
// The client bounds every response before reading it, and checks that a
// proven receipt is the one it asked about; check the log's proof with
// election.VerifyReceipt, which needs only the parameters and the ballot.
// It compiles for GOOS=js (the browser voter); the server does not.
package httpbox
