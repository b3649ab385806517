// SPDX-License-Identifier: MIT

pragma solidity 0.8.37;

import {Poseidon2} from "./Poseidon2.sol";

/// A Groth16 verifier of open ballots, statement.Vote(20, 8): the contract
/// verifier.ExportSolidity makes from the election's vote key. Reverts on an
/// invalid proof or a public input not below r.
interface IVoteVerifier {
    function verifyProof(bytes calldata proof, uint256[17] calldata input) external view;
}

/// A Groth16 verifier of secret ballots, statement.SecretVote(20, 8, 2).
interface ISecretVoteVerifier {
    function verifyProof(bytes calldata proof, uint256[11] calldata input) external view;
}

/// A Groth16 verifier of tally batches, statement.Tally(batch, 8).
interface ITallyVerifier {
    function verifyProof(bytes calldata proof, uint256[6] calldata input) external view;
}

/// @title ZkVoteDAO: zkvote's anonymous ballots on an EVM chain.
/// @notice A reference DAO contract. Its organiser opens proposals, each one
/// zkvote election (package election: its Params, with this contract's
/// deployment ID and the proposal's ID as election ID). Anyone may cast a
/// ballot made by zkvote's prover; the contract makes the checks zkvote's
/// ballot box makes, in the same order, and keeps the ballot log's chain
/// head, so that the open result is accepted only with tally proofs of
/// exactly the ballots it took. A secret ballot's ciphertexts travel in its
/// calldata and its event, checked against the hash its proof binds, so
/// that the chain holds everything the trustees count.
///
/// What it checks for each ballot: the scope is Poseidon2(TagElection,
/// deploymentId, proposalId) and the parameters' digest is the recorded one
/// (else WrongElection); the rule inputs are the recorded rules
/// (RulesMismatch); the census root is one of the proposal's accepted roots
/// (UnknownRoot); for a secret ballot, its ciphertexts' coordinates are
/// below r and no C1 is the identity (MalformedBallot), and their wide
/// Poseidon2 hash under the proposal's election key is the proof's
/// (CiphertextHash); the proposal is open (Closed); the nullifier is unused
/// (DuplicateNullifier) or, for a secret ballot, the counter is above the
/// citizen's latest one (StaleBallot); the proof verifies under the vote
/// key's verifier (its ProofInvalid or PublicInputNotInField). Open results
/// need tally proofs chained from the zero tally and the log's genesis to
/// the contract's head, covering every ballot and committing to the totals;
/// they may be given over several transactions (advanceTally), as one
/// transaction verifies only about 70.
///
/// What it does not check, and who does: the ballot rules are enforced by
/// the proof (the circuit), not again natively; the parameters' digest is
/// not recomputed (it is SHA-256 of the parameters' encoding, which the
/// organiser publishes; auditors compare); a secret ballot's ciphertexts are
/// not summed on chain: the trustees (AuditSecret) sum and decrypt them,
/// and the decryption is recorded as the organiser states it
/// (recordDecryption), within the bounds the rules and the number of voters
/// set, with the digest of the decryption shares that anyone can check off
/// chain. The contract trusts its organiser to open proposals with the
/// right parameters, election key and accepted roots, and to close them:
/// it keeps no deadline.
contract ZkVoteDAO {
    /// The options every ballot carries (statement.DefaultOptions).
    uint256 public constant OPTIONS = 8;
    /// chain.VotesPerWord: 32-bit votes packed into one field element.
    uint256 internal constant VOTES_PER_WORD = 7;
    /// A secret ballot's ciphertexts, statement.SecretVote(20, 8, 2)'s:
    /// two options to a ciphertext.
    uint256 public constant CIPHERTEXTS = 4;
    /// Their coordinates: C1.x, C1.y, C2.x, C2.y of each.
    uint256 internal constant CIPHERTEXT_WORDS = 4 * CIPHERTEXTS;
    /// The BN254 scalar field's order r.
    uint256 internal constant R = Poseidon2.R;

    /// The rules of a proposal's ballots, as election.Rules with the number
    /// of options.
    struct Rules {
        uint64 numOptions;
        uint64 maxPerOption;
        uint64 minTotal;
        uint64 maxTotal;
        uint64 costExponent;
    }

    struct Proposal {
        uint256 scope; // 0: no proposal
        uint256 paramsDigest;
        uint256 head; // the ballot log's chain head
        Rules rules;
        uint64 ballots; // ballots taken (in secret mode, replaced ones too)
        uint64 voters; // distinct nullifiers among them
        bool secret;
        bool closed;
        bool decided;
    }

    /// The verifiers of the three statements.
    IVoteVerifier public immutable voteVerifier;
    ISecretVoteVerifier public immutable secretVoteVerifier;
    ITallyVerifier public immutable tallyVerifier;
    /// The election.Params DeploymentID of every proposal of this contract.
    uint256 public immutable deploymentId;
    /// Who opens and closes proposals.
    address public immutable organiser;

    mapping(uint256 => Proposal) internal proposals;
    mapping(uint256 => mapping(uint256 => bool)) internal roots;
    /// Open: 1 for a used nullifier. Secret: the latest counter plus 1.
    mapping(uint256 => mapping(uint256 => uint256)) internal latest;
    mapping(uint256 => uint64[OPTIONS]) internal totals;
    mapping(uint256 => bytes32) internal decryptions;
    /// Secret: the election key (x, y), a point of BabyJubjub.
    mapping(uint256 => uint256[2]) internal electionKeys;
    /// Open: the tally states proven from the genesis and the zero tally,
    /// keccak256(head, tally commitment), each to its ballots counted + 1.
    mapping(uint256 => mapping(bytes32 => uint256)) internal tallyStates;

    error NotOrganiser();
    error BadProposal();
    error UnknownProposal();
    error WrongMode();
    error WrongElection();
    error RulesMismatch();
    error UnknownRoot();
    error Closed();
    error NotClosed();
    error DuplicateNullifier();
    error StaleBallot();
    error MalformedBallot();
    error CiphertextHash();
    error TallyMismatch();
    error Decided();

    event ProposalOpened(uint256 indexed proposal, uint256 scope, uint256 paramsDigest, bool secret);
    event BallotCast(uint256 indexed proposal, uint256 indexed nullifier, uint256 root, uint64[OPTIONS] votes, uint256 head);
    /// ciphertexts is the hash the proof binds; points are the ciphertexts
    /// (trustee.Ciphertext.XY of each, in order), what the trustees sum.
    event SecretBallotCast(
        uint256 indexed proposal,
        uint256 indexed nullifier,
        uint256 root,
        uint64 counter,
        uint256 ciphertexts,
        uint256[CIPHERTEXT_WORDS] points,
        uint256 head
    );
    event ProposalClosed(uint256 indexed proposal, uint64 ballots, uint256 head);
    /// A tally state proven from the genesis (advanceTally).
    event TallyAdvanced(uint256 indexed proposal, uint256 head, uint256 tally, uint256 counted);
    event ResultRecorded(uint256 indexed proposal, uint64 ballots, uint64[OPTIONS] totals, bytes32 decryption);

    constructor(IVoteVerifier vote, ISecretVoteVerifier secretVote, ITallyVerifier tally, uint256 deployment) {
        if (deployment >= R) revert BadProposal();
        voteVerifier = vote;
        secretVoteVerifier = secretVote;
        tallyVerifier = tally;
        deploymentId = deployment;
        organiser = msg.sender;
    }

    modifier onlyOrganiser() {
        if (msg.sender != organiser) revert NotOrganiser();
        _;
    }

    /// Opens proposal id: the election of election.Params with ElectionID
    /// id and DeploymentID deploymentId, whose digest is paramsDigest,
    /// census heads' roots acceptedRoots and rules r; a secret one with the
    /// election key key (SecretMode.Key's coordinates), an open one with
    /// key (0, 0).
    function open(
        uint256 id,
        uint256 paramsDigest,
        uint256[] calldata acceptedRoots,
        Rules calldata r,
        bool secret,
        uint256[2] calldata key
    ) external onlyOrganiser {
        if (proposals[id].scope != 0) revert BadProposal();
        if (id >= R || paramsDigest >= R || acceptedRoots.length == 0) revert BadProposal();
        if (r.numOptions == 0 || r.numOptions > OPTIONS || r.maxPerOption >= 1 << 32) revert BadProposal();
        if (r.minTotal > r.maxTotal || (r.costExponent != 1 && r.costExponent != 2)) revert BadProposal();
        if (secret) {
            // Below r, and not the identity (0, 1) nor (0, 0), which no
            // key generation makes; Params.Validate checks the subgroup.
            if (key[0] >= R || key[1] >= R || key[0] == 0) revert BadProposal();
            electionKeys[id] = key;
        } else if (key[0] != 0 || key[1] != 0) {
            revert BadProposal();
        }
        for (uint256 i = 0; i < acceptedRoots.length; i++) {
            if (acceptedRoots[i] == 0 || acceptedRoots[i] >= R) revert BadProposal();
            roots[id][acceptedRoots[i]] = true;
        }
        uint256 scope = Poseidon2.compress(Poseidon2.compress(Poseidon2.TAG_ELECTION, deploymentId), id);
        Proposal storage p = proposals[id];
        p.scope = scope;
        p.paramsDigest = paramsDigest;
        p.head = Poseidon2.compress(Poseidon2.TAG_BALLOT, scope);
        p.rules = r;
        p.secret = secret;
        emit ProposalOpened(id, scope, paramsDigest, secret);
    }

    /// Casts an open ballot: proof and input as verifier.SolidityCalldata
    /// gives them (statement.VotePublic's order).
    function castBallot(uint256 id, bytes calldata proof, uint256[17] calldata input) external {
        Proposal storage p = proposals[id];
        _checkStatement(p, false, input[0], input[2], input[3], [input[4], input[5], input[6], input[7], input[8]], id);
        if (p.closed) revert Closed();
        uint256 nullifier = input[1];
        if (latest[id][nullifier] != 0) revert DuplicateNullifier();
        voteVerifier.verifyProof(proof, input);
        // chain.Entry: Poseidon2(TagBallot, prev, nullifier, w0, w1), the
        // votes packed 7 to a word, 32 bits each, vote j at bit 32(j mod 7).
        uint64[OPTIONS] memory votes;
        uint256 w0;
        uint256 w1;
        for (uint256 j = 0; j < OPTIONS; j++) {
            uint256 v = input[9 + j];
            if (v >= 1 << 32) revert MalformedBallot(); // the proof bounds it; chain.Pack refuses it
            votes[j] = uint64(v);
            if (j < VOTES_PER_WORD) w0 |= v << (32 * j);
            else w1 |= v << (32 * (j - VOTES_PER_WORD));
        }
        uint256 head = Poseidon2.compress(Poseidon2.TAG_BALLOT, p.head);
        head = Poseidon2.compress(head, nullifier);
        head = Poseidon2.compress(head, w0);
        head = Poseidon2.compress(head, w1);
        latest[id][nullifier] = 1;
        p.head = head;
        p.ballots++;
        p.voters++;
        emit BallotCast(id, nullifier, input[0], votes, head);
    }

    /// Casts a secret ballot (statement.SecretVotePublic's order) with its
    /// ciphertexts, C1.x, C1.y, C2.x, C2.y of each in order (the ballot's
    /// trustee.Ciphertext.XY). A later ballot of the same citizen, with a
    /// higher counter, replaces the earlier one in the trustees' count.
    function castSecretBallot(
        uint256 id,
        bytes calldata proof,
        uint256[11] calldata input,
        uint256[CIPHERTEXT_WORDS] calldata points
    ) external {
        Proposal storage p = proposals[id];
        _checkStatement(p, true, input[0], input[2], input[3], [input[4], input[5], input[6], input[7], input[8]], id);
        _checkCiphertexts(id, input[10], points);
        if (p.closed) revert Closed();
        uint256 nullifier = input[1];
        uint256 counter = input[9];
        if (counter > type(uint64).max) revert MalformedBallot(); // statement.ParseSecretVote
        uint256 prev = latest[id][nullifier];
        if (prev != 0 && counter < prev) revert StaleBallot(); // counter <= the latest
        secretVoteVerifier.verifyProof(proof, input);
        // chain.SecretEntry: the first 31 bytes of SHA-256 of the tag,
        // prev, nullifier, counter (8 bytes) and ciphertext hash.
        bytes32 d = sha256(abi.encodePacked("zkvote/v2/secret-ballot", p.head, nullifier, uint64(counter), input[10]));
        uint256 head = uint256(d) >> 8;
        latest[id][nullifier] = counter + 1;
        p.head = head;
        p.ballots++;
        if (prev == 0) p.voters++;
        emit SecretBallotCast(id, nullifier, input[0], uint64(counter), input[10], points, head);
    }

    /// _checkStatement is election's checkStatement, for the proposal's
    /// mode, up to the census root.
    function _checkStatement(
        Proposal storage p,
        bool secret,
        uint256 root,
        uint256 scope,
        uint256 digest,
        uint256[5] memory rules,
        uint256 id
    ) internal view {
        if (p.scope == 0) revert UnknownProposal();
        if (scope != p.scope || digest != p.paramsDigest) revert WrongElection();
        if (p.secret != secret) revert WrongMode();
        Rules storage r = p.rules;
        if (
            rules[0] != r.numOptions || rules[1] != r.maxPerOption || rules[2] != r.minTotal
                || rules[3] != r.maxTotal || rules[4] != r.costExponent
        ) revert RulesMismatch();
        if (!roots[id][root]) revert UnknownRoot();
    }

    /// _checkCiphertexts is election's checkSecret after the root: every
    /// coordinate below r (trustee.ParseCiphertextXY), no C1 the identity
    /// (0, 1), and trustee.HashCiphertexts of the election key and the
    /// points equal to the proof's hash. Given the hash and the proof, the
    /// points are those the circuit computed from the base point and the
    /// key, on the curve and in its subgroup (see election/ballot.go,
    /// parseBoundCiphertext), so they need no curve check here.
    function _checkCiphertexts(uint256 id, uint256 hash, uint256[CIPHERTEXT_WORDS] calldata points) internal view {
        uint256[] memory m = new uint256[](2 + CIPHERTEXT_WORDS);
        uint256[2] storage key = electionKeys[id];
        m[0] = key[0];
        m[1] = key[1];
        for (uint256 i = 0; i < CIPHERTEXT_WORDS; i++) {
            if (points[i] >= R) revert MalformedBallot();
            m[2 + i] = points[i];
        }
        for (uint256 i = 0; i < CIPHERTEXT_WORDS; i += 4) {
            // Randomness 0: the vote in the clear, which the box refuses.
            if (points[i] == 0 && points[i + 1] == 1) revert MalformedBallot();
        }
        if (Poseidon2.hashWide(Poseidon2.TAG_CIPHERTEXTS, m) != hash) revert CiphertextHash();
    }

    /// Closes proposal id: it takes no more ballots.
    function close(uint256 id) external onlyOrganiser {
        Proposal storage p = proposals[id];
        if (p.scope == 0) revert UnknownProposal();
        if (p.closed) revert Closed();
        p.closed = true;
        emit ProposalClosed(id, p.ballots, p.head);
    }

    /// Follows tally proofs (statement.TallyPublic's order) of open
    /// proposal id from a state proven before, or from the genesis and the
    /// zero tally, and records the state they end at, from which later
    /// proofs may go on. Anyone may, at any time before the result: a state
    /// off the log's path is harmless, since no proof leads from it to the
    /// log's head. With it, a result needs no more proofs in one
    /// transaction than its gas limit allows (EIP-7825: 2^24 gas, about 70
    /// proofs).
    function advanceTally(uint256 id, bytes[] calldata proofs, uint256[6][] calldata inputs) external {
        Proposal storage p = _tallying(id);
        if (proofs.length == 0) revert TallyMismatch();
        (uint256 head, uint256 tally, uint256 counted) = _follow(id, p.scope, proofs, inputs);
        bytes32 key = keccak256(abi.encode(head, tally));
        if (tallyStates[id][key] == 0) tallyStates[id][key] = counted + 1;
        emit TallyAdvanced(id, head, tally, counted);
    }

    /// Records the result of a closed open proposal: anyone may, with tally
    /// proofs that go on from the genesis and the zero tally or from a
    /// state advanceTally recorded (none if it recorded the last), end at
    /// the contract's chain head, count every ballot it took and commit to
    /// totals t.
    function recordTally(uint256 id, bytes[] calldata proofs, uint256[6][] calldata inputs, uint64[OPTIONS] calldata t)
        external
    {
        Proposal storage p = _tallying(id);
        if (!p.closed) revert NotClosed();
        uint256 want = _tally(p.scope, p.ballots, t);
        if (proofs.length == 0) {
            if (tallyStates[id][keccak256(abi.encode(p.head, want))] != uint256(p.ballots) + 1) revert TallyMismatch();
        } else {
            (uint256 head, uint256 tally, uint256 counted) = _follow(id, p.scope, proofs, inputs);
            if (head != p.head || counted != p.ballots || tally != want) revert TallyMismatch();
        }
        p.decided = true;
        totals[id] = t;
        emit ResultRecorded(id, p.ballots, t, bytes32(0));
    }

    /// _tallying returns open proposal id, not yet decided.
    function _tallying(uint256 id) internal view returns (Proposal storage p) {
        p = proposals[id];
        if (p.scope == 0) revert UnknownProposal();
        if (p.secret) revert WrongMode();
        if (p.decided) revert Decided();
    }

    /// _follow verifies tally proofs chained from the state the first
    /// starts at, which must be the genesis or a recorded state, and
    /// returns the state the last ends at and the ballots counted to it.
    function _follow(uint256 id, uint256 scope, bytes[] calldata proofs, uint256[6][] calldata inputs)
        internal
        view
        returns (uint256 head, uint256 tally, uint256 counted)
    {
        if (proofs.length != inputs.length) revert TallyMismatch();
        head = inputs[0][1];
        tally = inputs[0][3];
        uint256 c = tallyStates[id][keccak256(abi.encode(head, tally))];
        if (c != 0) {
            counted = c - 1;
        } else {
            uint64[OPTIONS] memory zero;
            if (head != Poseidon2.compress(Poseidon2.TAG_BALLOT, scope) || tally != _tally(scope, 0, zero)) {
                revert TallyMismatch();
            }
        }
        for (uint256 k = 0; k < proofs.length; k++) {
            uint256[6] calldata in_ = inputs[k];
            if (in_[0] != scope || in_[1] != head || in_[3] != tally || in_[5] > type(uint64).max) {
                revert TallyMismatch();
            }
            tallyVerifier.verifyProof(proofs[k], in_);
            head = in_[2];
            tally = in_[4];
            counted += in_[5];
        }
    }

    /// Records the result of a closed secret proposal as its trustees
    /// decrypted it (election.AuditSecret checks it off chain), with the
    /// SHA-256 of the decryption shares they published. Only the organiser.
    /// The totals must be possible: 0 beyond the proposal's options, each
    /// at most voters × MaxPerOption, their sum at most voters × MaxTotal
    /// (a vote is at most its cost) and, with linear cost, at least
    /// voters × MinTotal.
    function recordDecryption(uint256 id, uint64[OPTIONS] calldata t, bytes32 decryption) external onlyOrganiser {
        Proposal storage p = proposals[id];
        if (p.scope == 0) revert UnknownProposal();
        if (!p.secret) revert WrongMode();
        if (!p.closed) revert NotClosed();
        if (p.decided) revert Decided();
        Rules storage r = p.rules;
        uint256 n = p.voters;
        uint256 sum;
        for (uint256 i = 0; i < OPTIONS; i++) {
            if ((i >= r.numOptions && t[i] != 0) || t[i] > n * r.maxPerOption) revert TallyMismatch();
            sum += t[i];
        }
        if (sum > n * r.maxTotal || (r.costExponent == 1 && sum < n * r.minTotal)) revert TallyMismatch();
        p.decided = true;
        totals[id] = t;
        decryptions[id] = decryption;
        emit ResultRecorded(id, p.ballots, t, decryption);
    }

    /// chain.Tally: Poseidon2(TagTally, scope, n, t0, ..., t7).
    function _tally(uint256 scope, uint256 n, uint64[OPTIONS] memory t) internal pure returns (uint256 acc) {
        acc = Poseidon2.compress(Poseidon2.compress(Poseidon2.TAG_TALLY, scope), n);
        for (uint256 i = 0; i < OPTIONS; i++) {
            acc = Poseidon2.compress(acc, t[i]);
        }
    }

    /// Returns proposal id's state.
    function proposal(uint256 id)
        external
        view
        returns (uint256 scope, uint256 paramsDigest, uint256 head, uint64 ballots, bool secret, bool closed, bool decided)
    {
        Proposal storage p = proposals[id];
        return (p.scope, p.paramsDigest, p.head, p.ballots, p.secret, p.closed, p.decided);
    }

    /// Returns the number of distinct voters of proposal id and, in secret
    /// mode, its election key.
    function voters(uint256 id) external view returns (uint64, uint256[2] memory) {
        return (proposals[id].voters, electionKeys[id]);
    }

    /// Returns a decided proposal's totals and, in secret mode, the digest
    /// of its decryption shares.
    function result(uint256 id) external view returns (uint64[OPTIONS] memory, bytes32) {
        if (!proposals[id].decided) revert NotClosed();
        return (totals[id], decryptions[id]);
    }

    /// Reports whether root is an accepted census root of proposal id.
    function acceptsRoot(uint256 id, uint256 root) external view returns (bool) {
        return roots[id][root];
    }

    /// Reports whether a tally state (chain head, tally commitment) of open
    /// proposal id was proven from its genesis, and the ballots counted.
    function tallyState(uint256 id, uint256 head, uint256 tally) external view returns (bool, uint64) {
        uint256 c = tallyStates[id][keccak256(abi.encode(head, tally))];
        if (c == 0) return (false, 0);
        return (true, uint64(c - 1));
    }

    /// Returns whether nullifier has voted in proposal id and, in secret
    /// mode, the counter of its latest ballot.
    function voted(uint256 id, uint256 nullifier) external view returns (bool, uint64) {
        uint256 l = latest[id][nullifier];
        if (l == 0) return (false, 0);
        return (true, proposals[id].secret ? uint64(l - 1) : 0);
    }
}
