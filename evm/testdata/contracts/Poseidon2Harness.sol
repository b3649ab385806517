// SPDX-License-Identifier: MIT

pragma solidity 0.8.37;

import {Poseidon2} from "../../contracts/Poseidon2.sol";

/// Exposes the Poseidon2 library to the tests, which compare it with
/// zkvote's native hash.
contract Poseidon2Harness {
    function compress(uint256 x, uint256 y) external pure returns (uint256) {
        return Poseidon2.compress(x, y);
    }

    function hash(uint256 tag, uint256[] calldata msgs) external pure returns (uint256) {
        return Poseidon2.hash(tag, msgs);
    }

    function tags() external pure returns (uint256 election, uint256 ballot, uint256 tally, uint256 ciphertexts) {
        return (Poseidon2.TAG_ELECTION, Poseidon2.TAG_BALLOT, Poseidon2.TAG_TALLY, Poseidon2.TAG_CIPHERTEXTS);
    }

    function permuteWide(uint256[12] memory s) external pure returns (uint256[12] memory) {
        Poseidon2.permuteWide(s);
        return s;
    }

    function hashWide(uint256 tag, uint256[] calldata msgs) external pure returns (uint256) {
        return Poseidon2.hashWide(tag, msgs);
    }
}
