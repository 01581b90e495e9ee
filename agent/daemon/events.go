package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"golang.org/x/time/rate"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/rtaudit/rtaudit/agent/checks"
	"github.com/rtaudit/rtaudit/agent/internal/kube"
	"github.com/rtaudit/rtaudit/agent/scan"
)

// eventPoster posts a Warning Event on the pod of each new critical
// finding, at most 10 a minute per node (a burst of drift is in the
// Reports and the logs; Events are a nudge, not the record).
type eventPoster struct {
	cs    kube.Interface
	limit *rate.Limiter
	log   *slog.Logger
}

func newEventPoster(cs kube.Interface, log *slog.Logger) *eventPoster {
	return &eventPoster{cs: cs, limit: rate.NewLimiter(rate.Every(6*time.Second), 10), log: log}
}

// maxEventMessage caps the message (the API server takes 1 KiB in the
// note of events.k8s.io; core Events are kept as short).
const maxEventMessage = 1024

func (e *eventPoster) post(ctx context.Context, r *scan.Report, f checks.Finding) {
	if f.Pod == "" || !e.limit.Allow() {
		return
	}
	var uid string
	for _, c := range r.Containers {
		if c.ID == f.ContainerID {
			uid = c.PodUID
		}
	}
	msg := fmt.Sprintf("%s (%s, layer %s): %s", f.Check, f.Severity, f.Layer, f.Message)
	if len(msg) > maxEventMessage {
		msg = msg[:maxEventMessage-len("…")] + "…"
	}
	now := metav1.NewTime(time.Now())
	ev := &corev1.Event{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "rtaudit-", Namespace: f.Namespace},
		InvolvedObject: corev1.ObjectReference{
			APIVersion: "v1", Kind: "Pod", Namespace: f.Namespace, Name: f.Pod, UID: types.UID(uid),
			FieldPath: fmt.Sprintf("spec.containers{%s}", f.Container),
		},
		Reason: "RuntimeDrift", Message: msg, Type: corev1.EventTypeWarning,
		Source:         corev1.EventSource{Component: "rtaudit", Host: r.Node},
		FirstTimestamp: now, LastTimestamp: now, Count: 1,
		ReportingController: "rtaudit.dev/agent", ReportingInstance: r.Node,
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := e.cs.Events(f.Namespace).Create(ctx, ev, metav1.CreateOptions{}); err != nil {
		e.log.Warn("cannot post an event", "pod", f.Namespace+"/"+f.Pod, "err", err)
	}
}
