package cli

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/rtaudit/rtaudit/agent/scan"
	"github.com/rtaudit/rtaudit/agent/waiver"
)

// scanInputs are what a scanning command (scan, explain) takes from its
// flags before it talks to the runtime.
type scanInputs struct {
	node          nodeOptions
	pod           podFlags
	pods, waivers string
	verbose, all  bool
	filter        scan.Filter
}

// prepare builds the scan's options, loads the waivers (first: a bad file
// fails fast, before any runtime call) and opens the declared source.
func (in scanInputs) prepare(ctx context.Context, s Streams) (scan.Options, []waiver.Waiver, *slog.Logger, error) {
	level := slog.LevelWarn
	if in.verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(s.Err, &slog.HandlerOptions{Level: level}))
	so := in.node.scanOptions()
	so.All, so.Logger, so.Filter = in.all, log, in.filter
	var ws []waiver.Waiver
	var err error
	if in.waivers != "" {
		if ws, err = waiver.Load(in.waivers); err != nil {
			return so, nil, log, fmt.Errorf("--waivers: %w", err)
		}
	}
	if err := waitSocket(ctx, in.node.endpoint, in.pod.waitRuntime); err != nil {
		return so, nil, log, err
	}
	src := &scanOptions{nodeOptions: in.node, podFlags: in.pod, pods: in.pods}
	if so.Declared, err = src.source(ctx, s); err != nil {
		return so, nil, log, err
	}
	return so, ws, log, nil
}
