package cluster

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Identities in the static token file. Both are in system:masters: the
// cluster authorizes with RBAC and no controller manager hands out roles.
const (
	adminUser = "rtaudit-admin"
	nodeGroup = "system:nodes,system:masters"
)

type secrets struct {
	AdminToken   string
	KubeletToken string
}

func randomToken() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// writePKI writes the token file and the service-account key pair (the
// apiserver signs projected tokens with it) into dir.
func writePKI(dir, nodeName string) (secrets, error) {
	var s secrets
	var err error
	if s.AdminToken, err = randomToken(); err != nil {
		return s, fmt.Errorf("cluster: %w", err)
	}
	if s.KubeletToken, err = randomToken(); err != nil {
		return s, fmt.Errorf("cluster: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return s, fmt.Errorf("cluster: %w", err)
	}
	lines := []string{
		fmt.Sprintf("%s,%s,%s,\"system:masters\"", s.AdminToken, adminUser, adminUser),
		fmt.Sprintf("%s,system:node:%s,kubelet-%s,\"%s\"", s.KubeletToken, nodeName, nodeName, nodeGroup),
	}
	if err := os.WriteFile(filepath.Join(dir, "tokens.csv"), []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		return s, fmt.Errorf("cluster: %w", err)
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return s, fmt.Errorf("cluster: service-account key: %w", err)
	}
	priv := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	pubDER, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return s, fmt.Errorf("cluster: service-account key: %w", err)
	}
	pub := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	if err := os.WriteFile(filepath.Join(dir, "sa.key"), priv, 0o600); err != nil {
		return s, fmt.Errorf("cluster: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "sa.pub"), pub, 0o644); err != nil {
		return s, fmt.Errorf("cluster: %w", err)
	}
	return s, nil
}
