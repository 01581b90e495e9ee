package critest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/rtaudit/rtaudit/agent/cri"
)

// Capture is what a runtime answered to the read calls of a scan, at one
// moment. Its JSON form (MarshalJSON) keeps every CRI message in protojson
// and is stable: the same capture always gives the same bytes.
type Capture struct {
	Version *runtimeapi.VersionResponse
	// Sandboxes and Containers are the unfiltered listings (every state).
	Sandboxes  []*runtimeapi.PodSandbox
	Containers []*runtimeapi.Container
	// SandboxStatuses and ContainerStatuses are the verbose status answers
	// by ID. An object listed but missing here answers NotFound, as one
	// removed between the listing and its status does.
	SandboxStatuses   map[string]*runtimeapi.PodSandboxStatusResponse
	ContainerStatuses map[string]*runtimeapi.ContainerStatusResponse
	// OtherTasks are containers the runtime holds outside the CRI (other
	// containerd namespaces), when the recorder listed them.
	OtherTasks []cri.Task
}

// Record asks rs what a scan asks: Version, ListPodSandbox and
// ListContainers (unfiltered), and the verbose status of every sandbox and
// container listed. An object that vanishes between the listing and its
// status (NotFound) is kept in the listing without a status, as the
// runtime showed it; any other error fails the recording.
func Record(ctx context.Context, rs runtimeapi.RuntimeServiceClient) (*Capture, error) {
	c := &Capture{
		SandboxStatuses:   map[string]*runtimeapi.PodSandboxStatusResponse{},
		ContainerStatuses: map[string]*runtimeapi.ContainerStatusResponse{},
	}
	var err error
	if c.Version, err = rs.Version(ctx, &runtimeapi.VersionRequest{Version: "v1"}); err != nil {
		return nil, fmt.Errorf("critest: Version: %w", err)
	}
	sbs, err := rs.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{})
	if err != nil {
		return nil, fmt.Errorf("critest: ListPodSandbox: %w", err)
	}
	c.Sandboxes = sbs.GetItems()
	ctrs, err := rs.ListContainers(ctx, &runtimeapi.ListContainersRequest{})
	if err != nil {
		return nil, fmt.Errorf("critest: ListContainers: %w", err)
	}
	c.Containers = ctrs.GetContainers()
	for _, sb := range c.Sandboxes {
		st, err := rs.PodSandboxStatus(ctx, &runtimeapi.PodSandboxStatusRequest{PodSandboxId: sb.GetId(), Verbose: true})
		if status.Code(err) == codes.NotFound {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("critest: PodSandboxStatus %s: %w", sb.GetId(), err)
		}
		c.SandboxStatuses[sb.GetId()] = st
	}
	for _, ctr := range c.Containers {
		st, err := rs.ContainerStatus(ctx, &runtimeapi.ContainerStatusRequest{ContainerId: ctr.GetId(), Verbose: true})
		if status.Code(err) == codes.NotFound {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("critest: ContainerStatus %s: %w", ctr.GetId(), err)
		}
		c.ContainerStatuses[ctr.GetId()] = st
	}
	return c, nil
}

// Load reads a capture saved by Save.
func Load(path string) (*Capture, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("critest: %w", err)
	}
	c := &Capture{}
	if err := json.Unmarshal(data, c); err != nil {
		return nil, fmt.Errorf("critest: %s: %w", path, err)
	}
	return c, nil
}

// Save writes the capture as indented JSON.
func (c *Capture) Save(path string) error {
	data, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return fmt.Errorf("critest: %w", err)
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}

// document is the JSON form of a Capture: every message in protojson.
type document struct {
	Version           json.RawMessage            `json:"version"`
	Sandboxes         []json.RawMessage          `json:"sandboxes"`
	SandboxStatuses   map[string]json.RawMessage `json:"sandboxStatuses"`
	Containers        []json.RawMessage          `json:"containers"`
	ContainerStatuses map[string]json.RawMessage `json:"containerStatuses"`
	OtherTasks        []task                     `json:"otherTasks,omitempty"`
}

type task struct {
	ID        string `json:"id"`
	Namespace string `json:"namespace"`
	PID       int    `json:"pid"`
}

// MarshalJSON writes the capture with each CRI message in protojson
// (lowerCamelCase names, enums by name). Maps come out sorted by key, so
// the bytes are stable.
func (c *Capture) MarshalJSON() ([]byte, error) {
	var d document
	var err error
	if d.Version, err = marshal(c.Version); err != nil {
		return nil, err
	}
	if d.Sandboxes, err = marshalList(c.Sandboxes); err != nil {
		return nil, err
	}
	if d.Containers, err = marshalList(c.Containers); err != nil {
		return nil, err
	}
	if d.SandboxStatuses, err = marshalMap(c.SandboxStatuses); err != nil {
		return nil, err
	}
	if d.ContainerStatuses, err = marshalMap(c.ContainerStatuses); err != nil {
		return nil, err
	}
	for _, t := range c.OtherTasks {
		d.OtherTasks = append(d.OtherTasks, task{ID: t.ID, Namespace: t.Namespace, PID: t.PID})
	}
	return json.Marshal(d)
}

// UnmarshalJSON reads what MarshalJSON wrote; unknown fields are an error.
func (c *Capture) UnmarshalJSON(data []byte) error {
	var d document
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return err
	}
	out := Capture{Version: &runtimeapi.VersionResponse{}}
	if err := unmarshal(d.Version, out.Version); err != nil {
		return fmt.Errorf("version: %w", err)
	}
	var err error
	if out.Sandboxes, err = unmarshalList[runtimeapi.PodSandbox](d.Sandboxes); err != nil {
		return fmt.Errorf("sandboxes: %w", err)
	}
	if out.Containers, err = unmarshalList[runtimeapi.Container](d.Containers); err != nil {
		return fmt.Errorf("containers: %w", err)
	}
	if out.SandboxStatuses, err = unmarshalMap[runtimeapi.PodSandboxStatusResponse](d.SandboxStatuses); err != nil {
		return fmt.Errorf("sandboxStatuses: %w", err)
	}
	if out.ContainerStatuses, err = unmarshalMap[runtimeapi.ContainerStatusResponse](d.ContainerStatuses); err != nil {
		return fmt.Errorf("containerStatuses: %w", err)
	}
	for _, t := range d.OtherTasks {
		out.OtherTasks = append(out.OtherTasks, cri.Task{ID: t.ID, Namespace: t.Namespace, PID: t.PID})
	}
	*c = out
	return nil
}

func marshal(m proto.Message) (json.RawMessage, error) {
	if m == nil {
		return json.RawMessage("null"), nil
	}
	return protojson.Marshal(m)
}

func marshalList[M proto.Message](ms []M) ([]json.RawMessage, error) {
	out := make([]json.RawMessage, 0, len(ms))
	for _, m := range ms {
		b, err := marshal(m)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

func marshalMap[M proto.Message](ms map[string]M) (map[string]json.RawMessage, error) {
	out := make(map[string]json.RawMessage, len(ms))
	for k, m := range ms { // encoding/json writes map keys sorted
		b, err := marshal(m)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		out[k] = b
	}
	return out, nil
}

func unmarshal(raw json.RawMessage, m proto.Message) error {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	return protojson.Unmarshal(raw, m)
}

// unmarshalList decodes a list of messages of type T.
func unmarshalList[T any, PT interface {
	*T
	proto.Message
}](raws []json.RawMessage) ([]PT, error) {
	out := make([]PT, 0, len(raws))
	for i, raw := range raws {
		m := PT(new(T))
		if err := unmarshal(raw, m); err != nil {
			return nil, fmt.Errorf("item %d: %w", i, err)
		}
		out = append(out, m)
	}
	return out, nil
}

// unmarshalMap decodes a map of messages of type T.
func unmarshalMap[T any, PT interface {
	*T
	proto.Message
}](raws map[string]json.RawMessage) (map[string]PT, error) {
	out := make(map[string]PT, len(raws))
	for k, raw := range raws {
		m := PT(new(T))
		if err := unmarshal(raw, m); err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		out[k] = m
	}
	return out, nil
}
