package cluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// writeKubeconfigs writes the admin and kubelet kubeconfigs. They trust the
// apiserver's self-signed certificate (its file holds the CA too) and name
// "kubernetes", a name the certificate covers, as the TLS server name.
func (c *Cluster) writeKubeconfigs() error {
	ca, err := os.ReadFile(filepath.Join(c.lay.apiserverCerts(), "apiserver.crt"))
	if err != nil {
		return fmt.Errorf("cluster: apiserver certificate: %w", err)
	}
	for _, kc := range []struct{ path, user, token string }{
		{c.lay.kubeconfig(), adminUser, c.rec.Secrets.AdminToken},
		{c.lay.kubeletKubeconfig(), "kubelet", c.rec.Secrets.KubeletToken},
	} {
		cfg := clientcmdapi.NewConfig()
		cfg.Clusters["rtaudit"] = &clientcmdapi.Cluster{Server: c.server(), CertificateAuthorityData: ca, TLSServerName: "kubernetes"}
		cfg.AuthInfos[kc.user] = &clientcmdapi.AuthInfo{Token: kc.token}
		cfg.Contexts["rtaudit"] = &clientcmdapi.Context{Cluster: "rtaudit", AuthInfo: kc.user, Namespace: "default"}
		cfg.CurrentContext = "rtaudit"
		if err := clientcmd.WriteToFile(*cfg, kc.path); err != nil {
			return fmt.Errorf("cluster: write %s: %w", kc.path, err)
		}
	}
	return nil
}

func newClient(kubeconfig string) (kubernetes.Interface, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("cluster: %s: %w", kubeconfig, err)
	}
	cfg.QPS, cfg.Burst = 50, 100
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("cluster: %w", err)
	}
	return client, nil
}

// bootstrap does what the missing controller manager would for the
// default namespace.
func (c *Cluster) bootstrap(ctx context.Context) error {
	return c.EnsureNamespace(ctx, metav1.NamespaceDefault)
}

// EnsureNamespace creates namespace ns if needed with what the controller
// manager (absent here) would add: the "default" ServiceAccount, without
// which the ServiceAccount admission rejects pods, and the kube-root-ca.crt
// ConfigMap that every projected service-account volume mounts.
func (c *Cluster) EnsureNamespace(ctx context.Context, ns string) error {
	if c.client == nil {
		return errors.New("cluster: no API client")
	}
	ca, err := os.ReadFile(filepath.Join(c.lay.apiserverCerts(), "apiserver.crt"))
	if err != nil {
		return fmt.Errorf("cluster: apiserver certificate: %w", err)
	}
	objs := []func() error{
		func() error {
			_, err := c.client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
			return err
		},
		func() error {
			_, err := c.client.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{})
			return err
		},
		func() error {
			_, err := c.client.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{
				ObjectMeta: metav1.ObjectMeta{Name: "kube-root-ca.crt"},
				Data:       map[string]string{"ca.crt": string(ca)},
			}, metav1.CreateOptions{})
			return err
		},
	}
	for _, create := range objs {
		if err := create(); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("cluster: namespace %s: %w", ns, err)
		}
	}
	return nil
}

// waitNodeReady waits for the node to register and turn Ready, then drops
// the not-ready taint the kubelet registers with (the node lifecycle
// controller would, in a full control plane).
func (c *Cluster) waitNodeReady(ctx context.Context) error {
	name := c.rec.Options.NodeName
	last := "not registered"
	for {
		if !c.rec.Kubelet.alive() {
			return fmt.Errorf("cluster: kubelet exited during start-up (%s): %s", c.rec.Kubelet.exitOf(), tail(c.lay.log("kubelet"), 25))
		}
		node, err := c.client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
		if err == nil {
			last = "registered, not Ready"
			for _, cond := range node.Status.Conditions {
				if cond.Type == corev1.NodeReady {
					last = fmt.Sprintf("Ready=%s (%s: %s)", cond.Status, cond.Reason, cond.Message)
					if cond.Status == corev1.ConditionTrue {
						return c.untaint(ctx, node)
					}
				}
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("cluster: node %s: %s: %w: %s", name, last, ctx.Err(), tail(c.lay.log("kubelet"), 25))
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func (c *Cluster) untaint(ctx context.Context, node *corev1.Node) error {
	var keep []corev1.Taint
	for _, t := range node.Spec.Taints {
		if t.Key != corev1.TaintNodeNotReady {
			keep = append(keep, t)
		}
	}
	if len(keep) == len(node.Spec.Taints) {
		return nil
	}
	node = node.DeepCopy()
	node.Spec.Taints = keep
	if _, err := c.client.CoreV1().Nodes().Update(ctx, node, metav1.UpdateOptions{}); err != nil && !apierrors.IsConflict(err) {
		return fmt.Errorf("cluster: untaint node: %w", err)
	}
	return nil
}
