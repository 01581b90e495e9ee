package cri

import (
	"context"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// StatusInfo is the runtime's verbose Status info (containerd: "config",
// "cniconfig", …; CRI-O: "config"), each value a JSON document.
func (c *Client) StatusInfo(ctx context.Context) (map[string]string, error) {
	var resp *runtimeapi.StatusResponse
	err := c.call(ctx, "Status", func(ctx context.Context) error {
		var err error
		resp, err = c.rs.Status(ctx, &runtimeapi.StatusRequest{Verbose: true})
		return err
	})
	if err != nil {
		return nil, err
	}
	return resp.GetInfo(), nil
}
