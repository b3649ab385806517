//go:build !linux

package memlimit

import "errors"

func supported() error { return errors.New("address-space limits need Linux") }

func limitAddressSpace(uint64) error { return supported() }
