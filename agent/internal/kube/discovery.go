package kube

import (
	"context"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
)

// RESTClient is the core group's REST client, for paths outside the
// resources (/readyz).
func (c *Clientset) RESTClient() rest.Interface { return c.core }

// discoveryTimeout is the discovery client's default request timeout.
const discoveryTimeout = 32 * time.Second

// ServerResourcesForGroupVersion is the discovery client's call of that
// name: a GET of /apis/GROUP/VERSION (/api/v1 for the core group), whose
// 404 means the API server does not serve that group version (a CRD not
// installed). It needs no RBAC beyond what every authenticated user has.
func (c *Clientset) ServerResourcesForGroupVersion(groupVersion string) (*metav1.APIResourceList, error) {
	path := "/apis/" + groupVersion
	if groupVersion == "v1" {
		path = "/api/v1"
	}
	ctx, cancel := context.WithTimeout(context.Background(), discoveryTimeout)
	defer cancel()
	out := &metav1.APIResourceList{GroupVersion: groupVersion}
	err := c.core.Get().AbsPath(path).Do(ctx).Into(out)
	if err != nil {
		// As the discovery client: core/v1 is always served.
		if groupVersion == "v1" && apierrors.IsNotFound(err) {
			return out, nil
		}
		return nil, err
	}
	out.GroupVersion = groupVersion
	return out, nil
}
