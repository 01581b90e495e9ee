package reports

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	v1alpha1 "github.com/openreports/reports-api/apis/openreports.io/v1alpha1"
	"golang.org/x/time/rate"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"

	"github.com/rtaudit/rtaudit/agent/internal/kube"
	"github.com/rtaudit/rtaudit/agent/scan"
)

// Mode selects the report format.
type Mode string

// The modes.
const (
	// ModeAuto writes OpenReports when the API server serves
	// openreports.io/v1alpha1 Report and ClusterReport, else wgpolicy
	// when it serves wgpolicyk8s.io/v1alpha2 PolicyReport and
	// ClusterPolicyReport, else nothing (said once). It asks once, on the
	// first Sync: a CRD installed later takes an agent restart.
	ModeAuto        Mode = "auto"
	ModeOpenReports Mode = "openreports"
	ModeWGPolicy    Mode = "wgpolicy"
	ModeNone        Mode = "none"
)

// ParseMode reads a --reports flag value; "" is auto.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(s); m {
	case "":
		return ModeAuto, nil
	case ModeAuto, ModeOpenReports, ModeWGPolicy, ModeNone:
		return m, nil
	}
	return "", fmt.Errorf("reports: unknown mode %q (auto, openreports, wgpolicy or none)", s)
}

// Default write rate per node.
const (
	DefaultLimit rate.Limit = 10
	DefaultBurst int        = 20
)

// Options configure a Writer.
type Options struct {
	// Node is the node the agent audits (required): it scopes the node's
	// ClusterReport and labels every object (LabelNode).
	Node string
	// Mode is the format; "" is ModeAuto.
	Mode   Mode
	Logger *slog.Logger
	// Limit and Burst bound creates, updates and deletes together (0:
	// DefaultLimit, DefaultBurst). Reads (the first List, discovery, a Get
	// after a conflict) are not counted.
	Limit rate.Limit
	Burst int
}

// Discovery is the part of the discovery client ModeAuto uses.
type Discovery interface {
	ServerResourcesForGroupVersion(groupVersion string) (*metav1.APIResourceList, error)
}

// Stats count the writes of a Writer since it was made.
type Stats struct {
	Creates, Updates, Deletes int64
	// Errors counts writes the API server refused or that failed.
	Errors int64
}

// Writer keeps one node's reports in the cluster. Its methods are safe for
// concurrent use; Syncs run one at a time.
type Writer struct {
	node, nodeLabel string
	mode            Mode
	log             *slog.Logger
	limiter         *rate.Limiter
	now             func() time.Time

	openreports OpenReports
	dyn         dynamic.Interface
	disc        Discovery

	creates, updates, deletes, errs atomic.Int64
	format                          atomic.Value // Mode, once resolved

	mu       sync.Mutex
	resolved bool
	st       store // nil: write nothing
	// known is every object of this node as last written or read; nil
	// until the first List.
	known   map[key]*v1alpha1.Report
	dropped map[key]int // results left out for size, as last logged
}

// NewWriter makes a Writer talking to the API server of cfg. When cfg
// leaves client-side throttling at its default, it is set to the write
// limit so the two agree.
func NewWriter(cfg *rest.Config, o Options) (*Writer, error) {
	if cfg == nil {
		return nil, errors.New("reports: no API server config")
	}
	cfg = rest.CopyConfig(cfg)
	if cfg.QPS == 0 && cfg.RateLimiter == nil {
		if l, b := limits(o); l != rate.Inf {
			cfg.QPS, cfg.Burst = float32(max(l, 5)), max(b, 10)
		}
	}
	// One client for OpenReports and discovery: its discovery is a GET
	// of /apis/GROUP/VERSION, as the discovery client's.
	cs, err := kube.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("reports: %w", err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("reports: %w", err)
	}
	return NewWriterForClients(cs, dyn, cs, o)
}

// NewWriterForClients makes a Writer on given clients (fakes in tests). A
// client the mode does not use may be nil.
func NewWriterForClients(cs OpenReports, dyn dynamic.Interface, disc Discovery, o Options) (*Writer, error) {
	mode, err := ParseMode(string(o.Mode))
	if err != nil {
		return nil, err
	}
	if o.Node == "" {
		return nil, errors.New("reports: no node name")
	}
	switch {
	case (mode == ModeOpenReports || mode == ModeAuto) && cs == nil:
		return nil, fmt.Errorf("reports: mode %s needs the openreports clientset", mode)
	case (mode == ModeWGPolicy || mode == ModeAuto) && dyn == nil:
		return nil, fmt.Errorf("reports: mode %s needs a dynamic client", mode)
	case mode == ModeAuto && disc == nil:
		return nil, errors.New("reports: mode auto needs a discovery client")
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	l, b := limits(o)
	return &Writer{
		node: o.Node, nodeLabel: NodeLabelValue(o.Node), mode: mode,
		log: log.With("component", "reports"), limiter: rate.NewLimiter(l, b), now: time.Now,
		openreports: cs, dyn: dyn, disc: disc,
	}, nil
}

func limits(o Options) (rate.Limit, int) {
	l, b := o.Limit, o.Burst
	if l == 0 {
		l = DefaultLimit
	}
	if b == 0 {
		b = DefaultBurst
	}
	return l, b
}

// Stats returns the write counters.
func (w *Writer) Stats() Stats {
	return Stats{Creates: w.creates.Load(), Updates: w.updates.Load(), Deletes: w.deletes.Load(), Errors: w.errs.Load()}
}

// Format is the format the Writer writes: ModeOpenReports, ModeWGPolicy or
// ModeNone; "" until the first Sync has decided.
func (w *Writer) Format() Mode {
	m, _ := w.format.Load().(Mode)
	return m
}

// Sync makes the node's reports say what r found. pods is every pod of the
// node the audit covered: each gets a Report, with no failure when it is
// clean; the reports of pods not in it are deleted. Only objects whose
// content (results, summary, scope, labels, owner) differs from what the
// Writer last wrote or read are written; the first Sync reads what exists
// (one List per kind) and adopts it. A failed write does not stop the
// others: the errors come back joined, and the next Sync retries.
func (w *Writer) Sync(ctx context.Context, r *scan.Report, pods []Pod) error {
	if r == nil {
		return errors.New("reports: no scan report")
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	st, err := w.resolve()
	if err != nil || st == nil {
		return err
	}
	if w.known == nil {
		if err := w.adopt(ctx, st); err != nil {
			return err
		}
	}
	b := build(input{
		report: r, pods: pods, node: w.node, nodeLabel: w.nodeLabel,
		withSource: st.format() == ModeOpenReports, now: w.now(), prev: w.known,
	})
	w.logDropped(b.dropped)

	var errs []error
	for _, k := range sortedKeys(b.objects) {
		if err := ctx.Err(); err != nil {
			return errors.Join(append(errs, err)...)
		}
		want, have := b.objects[k], w.known[k]
		if have != nil && same(have, want) {
			continue
		}
		got, err := w.write(ctx, st, k, have, want)
		if err != nil {
			w.errs.Add(1)
			errs = append(errs, fmt.Errorf("reports: writing %s %s: %w", kindName(st, k), k, err))
			continue
		}
		w.known[k] = got
	}
	for _, k := range sortedKeys(w.known) {
		if _, ok := b.objects[k]; ok {
			continue
		}
		if err := ctx.Err(); err != nil {
			return errors.Join(append(errs, err)...)
		}
		err := w.limiter.Wait(ctx)
		if err == nil {
			err = st.delete(ctx, k, w.known[k].UID)
		}
		switch {
		case err == nil:
			w.deletes.Add(1)
			delete(w.known, k)
		case apierrors.IsNotFound(err), apierrors.IsConflict(err):
			// Gone already (garbage-collected with its pod), or
			// replaced by another object of that name: not ours to
			// delete.
			delete(w.known, k)
		default:
			w.errs.Add(1)
			errs = append(errs, fmt.Errorf("reports: deleting %s %s: %w", kindName(st, k), k, err))
		}
	}
	return errors.Join(errs...)
}

// resolve picks the store once. A discovery error is returned (the next
// Sync asks again); a format not served is not an error.
func (w *Writer) resolve() (store, error) {
	if w.resolved {
		return w.st, nil
	}
	switch w.mode {
	case ModeOpenReports:
		w.st = openReports{w.openreports}
	case ModeWGPolicy:
		w.st = wgPolicy{w.dyn}
	case ModeAuto:
		ok, err := served(w.disc, v1alpha1.SchemeGroupVersion.String(), "reports", "clusterreports")
		if err != nil {
			return nil, err
		}
		if ok {
			w.st = openReports{w.openreports}
			break
		}
		if ok, err = served(w.disc, wgGroupVersion.String(), "policyreports", "clusterpolicyreports"); err != nil {
			return nil, err
		}
		if ok {
			w.st = wgPolicy{w.dyn}
			break
		}
		w.log.Warn("the API server serves neither openreports.io/v1alpha1 nor wgpolicyk8s.io/v1alpha2 reports: not writing reports (install deploy/crds and restart the agent)")
	}
	w.resolved = true
	if w.st == nil {
		w.format.Store(ModeNone)
		return nil, nil
	}
	w.format.Store(w.st.format())
	w.log.Info("writing reports", "format", w.st.format(), "node", w.node)
	return w.st, nil
}

// served reports whether the API server serves every resource of gv.
func served(d Discovery, gv string, resources ...string) (bool, error) {
	l, err := d.ServerResourcesForGroupVersion(gv)
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("reports: discovering %s: %w", gv, err)
	}
	for _, want := range resources {
		if !slices.ContainsFunc(l.APIResources, func(r metav1.APIResource) bool { return r.Name == want }) {
			return false, nil
		}
	}
	return true, nil
}

// adopt reads the objects a previous Writer of this node left.
func (w *Writer) adopt(ctx context.Context, st store) error {
	sel := labels.SelectorFromSet(labels.Set{LabelManagedBy: ManagedBy, LabelNode: w.nodeLabel}).String()
	known := map[key]*v1alpha1.Report{}
	for _, cluster := range []bool{false, true} {
		items, err := st.list(ctx, cluster, sel)
		if err != nil {
			return fmt.Errorf("reports: listing existing %s reports of node %s: %w", st.format(), w.node, err)
		}
		for _, it := range items {
			known[keyOf(it, cluster)] = it
		}
	}
	w.known = known
	w.log.Debug("adopted existing reports", "count", len(known))
	return nil
}

// write creates or updates one object. An object that exists though it
// was not known (created concurrently) is read and compared first; an
// update that conflicts is retried once on the current object.
func (w *Writer) write(ctx context.Context, st store, k key, have, want *v1alpha1.Report) (*v1alpha1.Report, error) {
	if have == nil {
		got, err := w.create(ctx, st, k, want)
		if !apierrors.IsAlreadyExists(err) {
			return got, err
		}
		if have, err = st.get(ctx, k); err != nil {
			return nil, err
		}
		if same(have, want) {
			return have, nil
		}
	}
	got, err := w.update(ctx, st, k, have, want)
	switch {
	case apierrors.IsNotFound(err):
		return w.create(ctx, st, k, want)
	case apierrors.IsConflict(err):
		cur, err := st.get(ctx, k)
		if err != nil {
			return nil, err
		}
		if same(cur, want) {
			return cur, nil
		}
		return w.update(ctx, st, k, cur, want)
	}
	return got, err
}

func (w *Writer) create(ctx context.Context, st store, k key, want *v1alpha1.Report) (*v1alpha1.Report, error) {
	if err := w.limiter.Wait(ctx); err != nil {
		return nil, err
	}
	got, err := st.create(ctx, k, want)
	if err == nil {
		w.creates.Add(1)
	}
	return got, err
}

func (w *Writer) update(ctx context.Context, st store, k key, have, want *v1alpha1.Report) (*v1alpha1.Report, error) {
	if err := w.limiter.Wait(ctx); err != nil {
		return nil, err
	}
	got, err := st.update(ctx, k, merge(have, want))
	if err == nil {
		w.updates.Add(1)
	}
	return got, err
}

func (w *Writer) logDropped(dropped map[key]int) {
	if w.dropped == nil {
		w.dropped = map[key]int{}
	}
	for k, n := range dropped {
		if w.dropped[k] != n {
			w.log.Warn("report too large: least severe results left out (the summary still counts them)", "report", k.String(), "left out", n)
		}
	}
	w.dropped = dropped
}

// same reports whether have already says what want says: our labels,
// annotations and owner, the source, scope, summary and results. Other
// labels, owners and annotations, and the metadata the server keeps, do
// not count.
func same(have, want *v1alpha1.Report) bool {
	for k, v := range want.Labels {
		if have.Labels[k] != v {
			return false
		}
	}
	for k, v := range want.Annotations {
		if have.Annotations[k] != v {
			return false
		}
	}
	for _, o := range want.OwnerReferences {
		if !slices.ContainsFunc(have.OwnerReferences, func(h metav1.OwnerReference) bool {
			return h.UID == o.UID && h.Kind == o.Kind && h.Name == o.Name && h.APIVersion == o.APIVersion
		}) {
			return false
		}
	}
	return have.Source == want.Source &&
		have.Summary == want.Summary &&
		have.ScopeSelector == nil && have.Configuration == nil &&
		equality.Semantic.DeepEqual(have.Scope, want.Scope) &&
		equality.Semantic.DeepEqual(have.Results, want.Results)
}

// merge is have (its resource version, foreign labels, annotations and
// owners kept) with want's content.
func merge(have, want *v1alpha1.Report) *v1alpha1.Report {
	obj := have.DeepCopy()
	if obj.Labels == nil {
		obj.Labels = map[string]string{}
	}
	for k, v := range want.Labels {
		obj.Labels[k] = v
	}
	if obj.Annotations == nil {
		obj.Annotations = map[string]string{}
	}
	for k, v := range want.Annotations {
		obj.Annotations[k] = v
	}
	for _, o := range want.OwnerReferences {
		obj.OwnerReferences = slices.DeleteFunc(obj.OwnerReferences, func(h metav1.OwnerReference) bool { return h.UID == o.UID })
		obj.OwnerReferences = append(obj.OwnerReferences, o)
	}
	obj.Source, obj.Scope, obj.ScopeSelector, obj.Configuration = want.Source, want.Scope.DeepCopy(), nil, nil
	obj.Summary = want.Summary
	obj.Results = slices.Clone(want.Results)
	return obj
}

// sortedKeys orders the node's ClusterReport first, then Reports by
// namespace and name.
func sortedKeys(m map[key]*v1alpha1.Report) []key {
	ks := make([]key, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.SortFunc(ks, func(a, b key) int {
		return cmp.Or(-compareBool(a.cluster, b.cluster), cmp.Compare(a.namespace, b.namespace), cmp.Compare(a.name, b.name))
	})
	return ks
}

func compareBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

func kindName(st store, k key) string {
	switch {
	case st.format() == ModeWGPolicy && k.cluster:
		return "ClusterPolicyReport"
	case st.format() == ModeWGPolicy:
		return "PolicyReport"
	case k.cluster:
		return "ClusterReport"
	}
	return "Report"
}
