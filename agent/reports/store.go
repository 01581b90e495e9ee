package reports

import (
	"context"
	"fmt"

	v1alpha1 "github.com/openreports/reports-api/apis/openreports.io/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"

	"github.com/rtaudit/rtaudit/agent/internal/kube"
)

// store reads and writes one format. Both speak in OpenReports Reports (a
// cluster-scoped one has no namespace): wgpolicy v1alpha2 has the same
// shape but for the report-level source.
type store interface {
	format() Mode
	list(ctx context.Context, cluster bool, selector string) ([]*v1alpha1.Report, error)
	get(ctx context.Context, k key) (*v1alpha1.Report, error)
	create(ctx context.Context, k key, obj *v1alpha1.Report) (*v1alpha1.Report, error)
	update(ctx context.Context, k key, obj *v1alpha1.Report) (*v1alpha1.Report, error)
	delete(ctx context.Context, k key, uid types.UID) error
}

func deleteOptions(uid types.UID) metav1.DeleteOptions {
	if uid == "" {
		return metav1.DeleteOptions{}
	}
	return metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}}
}

// OpenReports is the part of an openreports.io/v1alpha1 client the Writer
// uses: *kube.Clientset in production.
type OpenReports interface {
	Reports(namespace string) kube.ReportClient
	ClusterReports() kube.ClusterReportClient
}

// openReports writes openreports.io/v1alpha1 through the typed client.
type openReports struct{ cs OpenReports }

func (s openReports) format() Mode { return ModeOpenReports }

func (s openReports) list(ctx context.Context, cluster bool, selector string) ([]*v1alpha1.Report, error) {
	opts := metav1.ListOptions{LabelSelector: selector}
	var out []*v1alpha1.Report
	for {
		var next string
		if cluster {
			l, err := s.cs.ClusterReports().List(ctx, opts)
			if err != nil {
				return nil, err
			}
			for i := range l.Items {
				out = append(out, fromCluster(&l.Items[i]))
			}
			next = l.Continue
		} else {
			l, err := s.cs.Reports(metav1.NamespaceAll).List(ctx, opts)
			if err != nil {
				return nil, err
			}
			for i := range l.Items {
				out = append(out, &l.Items[i])
			}
			next = l.Continue
		}
		if next == "" {
			return out, nil
		}
		opts.Continue = next
	}
}

func (s openReports) get(ctx context.Context, k key) (*v1alpha1.Report, error) {
	if k.cluster {
		c, err := s.cs.ClusterReports().Get(ctx, k.name, metav1.GetOptions{})
		if err != nil {
			return nil, err
		}
		return fromCluster(c), nil
	}
	return s.cs.Reports(k.namespace).Get(ctx, k.name, metav1.GetOptions{})
}

func (s openReports) create(ctx context.Context, k key, obj *v1alpha1.Report) (*v1alpha1.Report, error) {
	if k.cluster {
		c, err := s.cs.ClusterReports().Create(ctx, toCluster(obj), metav1.CreateOptions{})
		if err != nil {
			return nil, err
		}
		return fromCluster(c), nil
	}
	return s.cs.Reports(k.namespace).Create(ctx, obj, metav1.CreateOptions{})
}

func (s openReports) update(ctx context.Context, k key, obj *v1alpha1.Report) (*v1alpha1.Report, error) {
	if k.cluster {
		c, err := s.cs.ClusterReports().Update(ctx, toCluster(obj), metav1.UpdateOptions{})
		if err != nil {
			return nil, err
		}
		return fromCluster(c), nil
	}
	return s.cs.Reports(k.namespace).Update(ctx, obj, metav1.UpdateOptions{})
}

func (s openReports) delete(ctx context.Context, k key, uid types.UID) error {
	if k.cluster {
		return s.cs.ClusterReports().Delete(ctx, k.name, deleteOptions(uid))
	}
	return s.cs.Reports(k.namespace).Delete(ctx, k.name, deleteOptions(uid))
}

func toCluster(r *v1alpha1.Report) *v1alpha1.ClusterReport {
	return &v1alpha1.ClusterReport{
		ObjectMeta: *r.ObjectMeta.DeepCopy(), Source: r.Source, Scope: r.Scope, ScopeSelector: r.ScopeSelector,
		Configuration: r.Configuration, Summary: r.Summary, Results: r.Results,
	}
}

func fromCluster(c *v1alpha1.ClusterReport) *v1alpha1.Report {
	return &v1alpha1.Report{
		ObjectMeta: *c.ObjectMeta.DeepCopy(), Source: c.Source, Scope: c.Scope, ScopeSelector: c.ScopeSelector,
		Configuration: c.Configuration, Summary: c.Summary, Results: c.Results,
	}
}

// The wgpolicyk8s.io/v1alpha2 resources, written as unstructured objects:
// no Go module for them is vendored.
var (
	wgGroupVersion  = schema.GroupVersion{Group: "wgpolicyk8s.io", Version: "v1alpha2"}
	wgPolicyReports = wgGroupVersion.WithResource("policyreports")
	wgClusterPolicy = wgGroupVersion.WithResource("clusterpolicyreports")
)

// wgPolicy writes wgpolicyk8s.io/v1alpha2 through the dynamic client.
type wgPolicy struct{ dyn dynamic.Interface }

func (s wgPolicy) format() Mode { return ModeWGPolicy }

func (s wgPolicy) resource(k key) dynamic.ResourceInterface {
	if k.cluster {
		return s.dyn.Resource(wgClusterPolicy)
	}
	return s.dyn.Resource(wgPolicyReports).Namespace(k.namespace)
}

func (s wgPolicy) list(ctx context.Context, cluster bool, selector string) ([]*v1alpha1.Report, error) {
	var ri dynamic.ResourceInterface = s.dyn.Resource(wgPolicyReports)
	if cluster {
		ri = s.dyn.Resource(wgClusterPolicy)
	}
	opts := metav1.ListOptions{LabelSelector: selector}
	var out []*v1alpha1.Report
	for {
		l, err := ri.List(ctx, opts)
		if err != nil {
			return nil, err
		}
		for i := range l.Items {
			r, err := fromUnstructured(&l.Items[i])
			if err != nil {
				return nil, err
			}
			out = append(out, r)
		}
		if l.GetContinue() == "" {
			return out, nil
		}
		opts.Continue = l.GetContinue()
	}
}

func (s wgPolicy) get(ctx context.Context, k key) (*v1alpha1.Report, error) {
	u, err := s.resource(k).Get(ctx, k.name, metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	return fromUnstructured(u)
}

func (s wgPolicy) create(ctx context.Context, k key, obj *v1alpha1.Report) (*v1alpha1.Report, error) {
	u, err := toUnstructured(obj, k.cluster)
	if err != nil {
		return nil, err
	}
	if u, err = s.resource(k).Create(ctx, u, metav1.CreateOptions{}); err != nil {
		return nil, err
	}
	return fromUnstructured(u)
}

func (s wgPolicy) update(ctx context.Context, k key, obj *v1alpha1.Report) (*v1alpha1.Report, error) {
	u, err := toUnstructured(obj, k.cluster)
	if err != nil {
		return nil, err
	}
	if u, err = s.resource(k).Update(ctx, u, metav1.UpdateOptions{}); err != nil {
		return nil, err
	}
	return fromUnstructured(u)
}

func (s wgPolicy) delete(ctx context.Context, k key, uid types.UID) error {
	return s.resource(k).Delete(ctx, k.name, deleteOptions(uid))
}

// toUnstructured is obj as a wgpolicyk8s.io/v1alpha2 PolicyReport (or
// ClusterPolicyReport): the same fields as OpenReports, without the
// report-level source v1alpha2 does not have (a structural schema would
// prune it, and the object would never compare equal).
func toUnstructured(obj *v1alpha1.Report, cluster bool) (*unstructured.Unstructured, error) {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil, fmt.Errorf("converting %s/%s: %w", obj.Namespace, obj.Name, err)
	}
	delete(m, "source")
	if md, ok := m["metadata"].(map[string]any); ok && md["creationTimestamp"] == nil {
		delete(md, "creationTimestamp")
	}
	u := &unstructured.Unstructured{Object: m}
	u.SetAPIVersion(wgGroupVersion.String())
	u.SetKind("PolicyReport")
	if cluster {
		u.SetKind("ClusterPolicyReport")
	}
	return u, nil
}

func fromUnstructured(u *unstructured.Unstructured) (*v1alpha1.Report, error) {
	r := &v1alpha1.Report{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, r); err != nil {
		return nil, fmt.Errorf("reading %s %s/%s: %w", u.GetKind(), u.GetNamespace(), u.GetName(), err)
	}
	r.Source = "" // not a v1alpha2 field
	r.TypeMeta = metav1.TypeMeta{}
	return r, nil
}
