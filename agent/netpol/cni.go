package netpol

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// CNI is the network configuration the runtime uses for pods.
type CNI struct {
	// Source says where it was read: "runtime status" or a file path.
	Source string
	Name   string
	// Plugins are the plugin types of the chain, in order ("bridge",
	// "portmap"; "calico", "cilium-cni" …).
	Plugins []string
}

func (c CNI) String() string {
	return fmt.Sprintf("%s [%s] from %s", c.Name, strings.Join(c.Plugins, ", "), c.Source)
}

// policyPlugins are CNI plugin types of systems that also ship a
// NetworkPolicy agent; the plugin alone enforces nothing.
var policyPlugins = []string{"calico", "cilium-cni", "antrea", "weave-net", "ovn-k8s-cni-overlay"}

// PolicyCapable reports whether a plugin of the chain belongs to a system
// with a NetworkPolicy agent (which must still be running: FindEnforcers).
func (c CNI) PolicyCapable() bool {
	return slices.ContainsFunc(c.Plugins, func(p string) bool { return slices.Contains(policyPlugins, p) })
}

// netConf is the part of a CNI configuration list (or a single
// configuration) read here.
type netConf struct {
	Name    string `json:"name"`
	Type    string `json:"type"`
	Plugins []struct {
		Type string `json:"type"`
	} `json:"plugins"`
}

// ParseCNIConfig reads a .conflist or a single .conf.
func ParseCNIConfig(b []byte, source string) (CNI, error) {
	var nc netConf
	if err := json.Unmarshal(b, &nc); err != nil {
		return CNI{}, fmt.Errorf("CNI configuration %s: %v", source, err)
	}
	c := CNI{Source: source, Name: nc.Name}
	for _, p := range nc.Plugins {
		c.Plugins = append(c.Plugins, p.Type)
	}
	if len(nc.Plugins) == 0 && nc.Type != "" {
		c.Plugins = []string{nc.Type}
	}
	if len(c.Plugins) == 0 {
		return CNI{}, fmt.Errorf("CNI configuration %s: no plugin type", source)
	}
	return c, nil
}

// CNIFromDir reads the configuration the runtimes pick in dir: the first
// file by name ending in .conflist, .conf or .json (libcni's order).
func CNIFromDir(dir string) (CNI, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return CNI{}, err
	}
	for _, e := range entries { // sorted by name
		switch filepath.Ext(e.Name()) {
		case ".conflist", ".conf", ".json":
			p := filepath.Join(dir, e.Name())
			b, err := os.ReadFile(p)
			if err != nil {
				return CNI{}, err
			}
			return ParseCNIConfig(b, p)
		}
	}
	return CNI{}, fmt.Errorf("%s: %w", dir, errNoCNI)
}

// CNIFromRuntimeStatus reads the network configuration from the CRI
// runtime's verbose status: containerd's "cniconfig" info (go-cni's
// ConfigResult: Networks[].Config.{Name, Plugins[].Network.type}), the
// last network being the pods' (the first is the loopback).
func CNIFromRuntimeStatus(info map[string]string) (CNI, error) {
	raw, ok := info["cniconfig"]
	if !ok {
		return CNI{}, errNoCNI
	}
	var cr struct {
		Networks []struct {
			Config struct {
				Name    string `json:"Name"`
				Plugins []struct {
					Network struct {
						Type string `json:"type"`
					} `json:"Network"`
				} `json:"Plugins"`
			} `json:"Config"`
		} `json:"Networks"`
	}
	if err := json.Unmarshal([]byte(raw), &cr); err != nil {
		return CNI{}, fmt.Errorf("runtime status cniconfig: %v", err)
	}
	for i := len(cr.Networks) - 1; i >= 0; i-- {
		n := cr.Networks[i].Config
		if n.Name == "cni-loopback" {
			continue
		}
		c := CNI{Source: "runtime status", Name: n.Name}
		for _, p := range n.Plugins {
			c.Plugins = append(c.Plugins, p.Network.Type)
		}
		if len(c.Plugins) > 0 {
			return c, nil
		}
	}
	return CNI{}, errNoCNI
}
