package atrest

import (
	"fmt"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"
)

// Config is what an EncryptionConfiguration says of secrets.
type Config struct {
	// Covered: a resources entry names secrets ("secrets", "secrets.",
	// "*." or "*.*").
	Covered bool
	// First is the first provider of the first entry covering secrets
	// ("aescbc", "aesgcm", "secretbox", "kms", "identity"): the one new
	// writes use.
	First string
}

// ParseConfig reads an EncryptionConfiguration (apiserver.config.k8s.io
// v1). Only resource names and provider kinds are decoded; the caller
// clears b (it holds keys).
func ParseConfig(b []byte) (Config, error) {
	var ec struct {
		Kind      string `json:"kind"`
		Resources []struct {
			Resources []string         `json:"resources"`
			Providers []map[string]any `json:"providers"`
		} `json:"resources"`
	}
	if err := yaml.Unmarshal(b, &ec); err != nil {
		return Config{}, fmt.Errorf("encryption provider config: %v", err)
	}
	if ec.Kind != "EncryptionConfiguration" {
		return Config{}, fmt.Errorf("encryption provider config: kind %q, want EncryptionConfiguration", ec.Kind)
	}
	for _, r := range ec.Resources {
		if !slices.ContainsFunc(r.Resources, coversSecrets) {
			continue
		}
		c := Config{Covered: true}
		if len(r.Providers) > 0 {
			var names []string
			for k := range r.Providers[0] {
				names = append(names, k)
			}
			slices.Sort(names)
			c.First = strings.Join(names, "+")
		}
		clearAny(ec.Resources)
		return c, nil
	}
	return Config{}, nil
}

// clearAny drops the decoded providers (their keys) for the collector.
func clearAny[T any](s []T) { clear(s) }

func coversSecrets(r string) bool {
	switch r {
	case "secrets", "secrets.", "*.", "*.*":
		return true
	}
	return false
}

// FlagValue returns the value of a --name flag in a command line
// ("--name=v" or "--name v"), the last one when repeated.
func FlagValue(args []string, name string) (string, bool) {
	val, found := "", false
	for i, a := range args {
		a = strings.TrimLeft(a, "-")
		switch {
		case strings.HasPrefix(a, name+"="):
			val, found = strings.TrimPrefix(a, name+"="), true
		case a == name && i+1 < len(args):
			val, found = args[i+1], true
		}
	}
	return val, found
}
