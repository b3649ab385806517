// Package bench holds zkvote's end-to-end benchmarks: the paths a registrar,
// a citizen and a ballot box run, measured through the public API only.
// Per-operation benchmarks live next to the code they measure.
//
//	go test ./bench/ -run XXX -bench . -count 5 | tee new.txt
//	benchstat old.txt new.txt
package bench
