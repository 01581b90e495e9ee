package harness

import (
	"fmt"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// criConn is the CRI client side of a lab's runtime, containerd or CRI-O:
// one gRPC connection to its endpoint, dialled on first use.
type criConn struct {
	endpoint func() string

	connMu sync.Mutex
	conn   *grpc.ClientConn
}

func (c *criConn) grpcConn() (*grpc.ClientConn, error) {
	c.connMu.Lock()
	defer c.connMu.Unlock()
	if c.conn != nil {
		return c.conn, nil
	}
	ep := c.endpoint()
	conn, err := grpc.NewClient(ep, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(16<<20)))
	if err != nil {
		return nil, fmt.Errorf("harness: dial %s: %w", ep, err)
	}
	c.conn = conn
	return conn, nil
}

// closeConn closes the connection, if one was dialled.
func (c *criConn) closeConn() {
	c.connMu.Lock()
	defer c.connMu.Unlock()
	if c.conn != nil {
		_ = c.conn.Close()
		c.conn = nil
	}
}

// RuntimeService is a CRI runtime client on this instance.
func (c *criConn) RuntimeService() (runtimeapi.RuntimeServiceClient, error) {
	conn, err := c.grpcConn()
	if err != nil {
		return nil, err
	}
	return runtimeapi.NewRuntimeServiceClient(conn), nil
}

// ImageService is a CRI image client on this instance.
func (c *criConn) ImageService() (runtimeapi.ImageServiceClient, error) {
	conn, err := c.grpcConn()
	if err != nil {
		return nil, err
	}
	return runtimeapi.NewImageServiceClient(conn), nil
}
