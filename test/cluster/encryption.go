package cluster

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"path/filepath"
)

// encryptionConfig is an EncryptionConfiguration that encrypts secrets with
// aescbc (the key base64-encoded), reading identity-stored ones too.
const encryptionConfig = `apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
- resources: [secrets]
  providers:
  - aescbc:
      keys:
      - name: key1
        secret: %s
  - identity: {}
`

// EncryptionConfigPath is where an EncryptSecrets cluster keeps its
// encryption provider config.
func (c *Cluster) EncryptionConfigPath() string {
	return filepath.Join(c.lay.pki(), "encryption-config.yaml")
}

// encryptionArgs adds --encryption-provider-config to the API server's
// arguments when the cluster encrypts secrets, writing the config with a
// fresh 32-byte key.
func (c *Cluster) encryptionArgs(args []string) ([]string, error) {
	if !c.rec.Options.EncryptSecrets {
		return args, nil
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	if err := writeFile(c.EncryptionConfigPath(), fmt.Sprintf(encryptionConfig, base64.StdEncoding.EncodeToString(key)), 0o600); err != nil {
		return nil, err
	}
	return append(args, "--encryption-provider-config", c.EncryptionConfigPath()), nil
}
