package crashtest

import (
	"fmt"
	"os"
	"testing"
	"time"
)

func TestHelperCounter(t *testing.T) {
	if os.Getenv("CRASHTEST_SELF") == "" {
		t.Skip("subprocess of TestAcks")
	}
	for i := uint64(0); ; i++ {
		fmt.Printf("ack %d\n", i)
		time.Sleep(time.Millisecond)
	}
}

func TestAcks(t *testing.T) {
	acks := Acks(t, "TestHelperCounter", []string{"CRASHTEST_SELF=1"}, 150*time.Millisecond)
	if len(acks) == 0 {
		t.Fatal("the helper acknowledged nothing before it was killed")
	}
	for i, a := range acks {
		if a != uint64(i) {
			t.Fatalf("ack %d is %d", i, a)
		}
	}
}
