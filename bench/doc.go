// Package bench holds zkvote's end-to-end benchmarks: the paths a registrar,
// a citizen, a ballot box and an auditor run, measured through the public
// API only. Per-operation benchmarks live next to the code they measure.
// The benchmark table in the module's README is generated from these
// benchmarks, with the machine, Go and gnark versions and the date of the
// run.
//
//	go test ./bench/ -run XXX -bench . -count 5 | tee new.txt
//	benchstat old.txt new.txt
package bench
