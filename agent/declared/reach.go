package declared

import (
	"context"
	"time"

	"k8s.io/client-go/rest"
)

// reachEvery is how often the informer asks the API server whether it is
// there. The watch alone cannot tell: while the server is down the
// reflector retries a refused watch quietly (client-go treats a refused
// connection as a server restarting) and calls no error handler, so an
// outage of any length would pass for a healthy watch with nothing new.
const reachEvery = 10 * time.Second

// watchReach probes the API server's /readyz (readable by every client,
// unauthenticated included, under the default RBAC) every reachEvery until
// ctx ends: a failure marks the source unhealthy and counts an error, a
// success marks it reachable again.
func (in *Informer) watchReach(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		ok := in.probe(ctx, every/2)
		if !ok {
			in.errors.Add(1)
		}
		in.reachable.Store(ok)
	}
}

// probe asks /readyz once within timeout; a client without a REST client
// (a fake) counts as reachable.
func (in *Informer) probe(ctx context.Context, timeout time.Duration) bool {
	c, ok := in.cs.(interface{ RESTClient() rest.Interface })
	if !ok {
		return true
	}
	rc := c.RESTClient()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return rc.Get().AbsPath("/readyz").Do(ctx).Error() == nil
}
