package e2e

import (
	"os"
	"testing"

	"github.com/rtaudit/rtaudit/test/cluster"
)

// TestMain starts one real cluster for the package (skipped, with the
// reason, when none can run here; a failure under RTAUDIT_REQUIRE_CLUSTER=1).
func TestMain(m *testing.M) { os.Exit(cluster.RunMain(m)) }
