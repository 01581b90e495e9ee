package harness

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// slotDir holds one claim file per instance number, so concurrent
// instances (the test packages of one `go test ./...`, the demo lab) get
// distinct bridges, subnets and cgroup parents.
const slotDir = "/run/rtaudit-harness"

const slots = 200

// claimSlot picks a free instance number for dir, starting at a hash of
// dir, and records the claim. A claim whose directory is gone is stale.
func claimSlot(dir string) (int, error) {
	if err := os.MkdirAll(slotDir, 0o755); err != nil {
		return 0, fmt.Errorf("harness: %w", err)
	}
	start := instanceIndex(dir) - 20
	for i := 0; i < slots; i++ {
		n := (start+i)%slots + 20
		path := filepath.Join(slotDir, "slot-"+strconv.Itoa(n))
		f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		if err == nil {
			_, werr := f.WriteString(dir)
			cerr := f.Close()
			return n, errors.Join(werr, cerr)
		}
		owner, rerr := os.ReadFile(path)
		if rerr != nil {
			continue
		}
		o := strings.TrimSpace(string(owner))
		if o == dir {
			return n, nil
		}
		if _, err := os.Stat(o); errors.Is(err, os.ErrNotExist) {
			if os.Remove(path) == nil {
				i-- // retry this slot
			}
		}
	}
	return 0, errors.New("harness: no free instance slot in " + slotDir)
}

// releaseSlot drops the claim of dir on the slot of its bridge name.
func releaseSlot(dir, bridge string) {
	n := strings.TrimPrefix(bridge, "rta")
	path := filepath.Join(slotDir, "slot-"+n)
	if owner, err := os.ReadFile(path); err == nil && strings.TrimSpace(string(owner)) == dir {
		_ = os.Remove(path)
	}
}
