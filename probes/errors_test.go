package probes

import (
	"errors"
	"testing"
)

func TestErrors(t *testing.T) {
	err := goneError(7, "status")
	if !errors.Is(err, ErrGone) || err.Error() != "probes: pid 7: status: process gone" {
		t.Errorf("goneError = %q", err)
	}
	perr := &PermissionError{PID: 7, File: "ns/net", Capability: neededCapability("ns/net"), Err: errors.New("permission denied")}
	if perr.Error() != "probes: pid 7: reading ns/net needs CAP_SYS_PTRACE: permission denied" {
		t.Errorf("PermissionError = %q", perr)
	}
	if neededCapability("status") != "CAP_DAC_READ_SEARCH" || neededCapability("mountinfo") != "CAP_SYS_PTRACE" {
		t.Error("neededCapability: wrong mapping")
	}
	if !errors.Is(malformed(7, "stat", errors.New("x")), ErrMalformed) {
		t.Error("malformed must wrap ErrMalformed")
	}
}
