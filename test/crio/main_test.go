package crio

import (
	"os"
	"testing"

	"github.com/rtaudit/rtaudit/test/harness"
)

func TestMain(m *testing.M) { os.Exit(harness.RunCRIOMain(m)) }
