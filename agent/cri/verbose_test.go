package cri

import (
	"encoding/json"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"google.golang.org/protobuf/proto"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func TestParseContainerInfoFixtures(t *testing.T) {
	for _, tc := range []struct {
		dir           string
		pid           int
		sandboxID     string
		wantConfig    bool
		wantPrivilege bool // the runtime reports "privileged"
		capAdded      string
	}{
		{dir: "containerd-1.6.20", pid: 12153, sandboxID: "e2bd7a63c6755f88235b3415caaaef4aff2b5404356f058136bb2bab93bdd579", wantConfig: true, capAdded: "CAP_NET_ADMIN"},
		{dir: "containerd-2.4.2", pid: 20295, sandboxID: "fe97d91cffbc5b32954812560dc4c7d65f829dbac29dd95a6cee46119e6dbc1c", wantConfig: true, capAdded: "CAP_NET_ADMIN"},
		{dir: "cri-o-1.34.0", pid: 14150, sandboxID: "c0c6754efb3c3eb020f6d543905abefb3364a22ebd2dc2c0afe31c39c88ea7a0", wantPrivilege: true, capAdded: "CAP_NET_ADMIN"},
	} {
		t.Run(tc.dir, func(t *testing.T) {
			doc := readFile(t, filepath.Join("testdata", tc.dir, "container_info.json"))
			v, err := parseContainerInfo(map[string]string{"info": doc})
			if err != nil {
				t.Fatal(err)
			}
			if v.PID != tc.pid || v.SandboxID != tc.sandboxID {
				t.Errorf("pid, sandbox = %d, %q; want %d, %q", v.PID, v.SandboxID, tc.pid, tc.sandboxID)
			}
			if v.Spec == nil || v.Spec.Process == nil || v.Spec.Linux == nil {
				t.Fatalf("runtime spec missing or incomplete: %+v", v.Spec)
			}
			if got := v.Spec.Process.User.UID; got != 1000 {
				t.Errorf("spec process uid = %d, want 1000", got)
			}
			if !slices.Contains(v.Spec.Process.Capabilities.Bounding, tc.capAdded) {
				t.Errorf("spec bounding set %v lacks %s", v.Spec.Process.Capabilities.Bounding, tc.capAdded)
			}
			if (v.Privileged != nil) != tc.wantPrivilege || (v.Privileged != nil && *v.Privileged) {
				t.Errorf("privileged = %v, want reported=%v and false", v.Privileged, tc.wantPrivilege)
			}
			if !tc.wantConfig {
				if v.Config != nil {
					t.Errorf("config = %v, want none", v.Config)
				}
				return
			}
			checkContainerConfig(t, v.Config)
		})
	}
}

// checkContainerConfig checks the CRI config the fixtures were made with.
func checkContainerConfig(t *testing.T, cfg *runtimeapi.ContainerConfig) {
	t.Helper()
	if cfg == nil {
		t.Fatal("config missing")
	}
	sc := cfg.GetLinux().GetSecurityContext()
	checks := []struct {
		name      string
		got, want any
	}{
		{"metadata.name", cfg.GetMetadata().GetName(), "app"},
		{"command", strings.Join(cfg.GetCommand(), " "), "/bin/sleep 3600"},
		{"env", string(cfg.GetEnvs()[0].GetKey()) + "=" + string(cfg.GetEnvs()[0].GetValue()), "MODE=prod"},
		{"mount", cfg.GetMounts()[0].GetContainerPath(), "/data"},
		{"mount readonly", cfg.GetMounts()[0].GetReadonly(), true},
		{"memory limit", cfg.GetLinux().GetResources().GetMemoryLimitInBytes(), int64(64 << 20)},
		{"run_as_user", sc.GetRunAsUser().GetValue(), int64(1000)},
		{"add caps", strings.Join(sc.GetCapabilities().GetAddCapabilities(), ","), "NET_ADMIN"},
		{"drop caps", strings.Join(sc.GetCapabilities().GetDropCapabilities(), ","), "MKNOD"},
		{"readonly_rootfs", sc.GetReadonlyRootfs(), true},
		{"no_new_privs", sc.GetNoNewPrivs(), true},
		{"privileged", sc.GetPrivileged(), false},
		{"pid namespace (enum as number)", sc.GetNamespaceOptions().GetPid(), runtimeapi.NamespaceMode_CONTAINER},
		{"network namespace (omitted zero)", sc.GetNamespaceOptions().GetNetwork(), runtimeapi.NamespaceMode_POD},
		{"masked paths", strings.Join(sc.GetMaskedPaths(), ","), "/proc/kcore"},
		{"container label", cfg.GetLabels()[LabelContainerName], "app"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("config %s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestParseSandboxInfoFixtures(t *testing.T) {
	for _, tc := range []struct {
		file       string
		pid        int
		wantConfig bool
		wantSpec   bool
	}{
		{file: "containerd-1.6.20/sandbox_info.json", pid: 12107, wantConfig: true, wantSpec: true},
		{file: "containerd-2.4.2/sandbox_info.json", pid: 20253, wantConfig: true, wantSpec: true},
		// No infra container (pid namespace CONTAINER, drop_infra_ctr):
		// no pid, a spoofed spec ("io.kubernetes.cri-o.Spoofed").
		{file: "cri-o-1.34.0/sandbox_info.json", wantSpec: true},
		{file: "cri-o-1.34.0/sandbox_info_infra.json", pid: 14266, wantSpec: true},
	} {
		t.Run(tc.file, func(t *testing.T) {
			v, err := parseSandboxInfo(map[string]string{"info": readFile(t, filepath.Join("testdata", tc.file))})
			if err != nil {
				t.Fatal(err)
			}
			if v.PID != tc.pid {
				t.Errorf("pid = %d, want %d", v.PID, tc.pid)
			}
			if (v.Spec != nil) != tc.wantSpec {
				t.Errorf("spec present = %v, want %v", v.Spec != nil, tc.wantSpec)
			}
			if (v.Config != nil) != tc.wantConfig {
				t.Fatalf("config present = %v, want %v", v.Config != nil, tc.wantConfig)
			}
			if tc.wantConfig {
				sc := v.Config.GetLinux().GetSecurityContext()
				if sc.GetNamespaceOptions().GetPid() != runtimeapi.NamespaceMode_CONTAINER || v.Config.GetMetadata().GetNamespace() != "team-a" {
					t.Errorf("sandbox config = %v", v.Config)
				}
				// "run_as_user": {} is runAsUser 0, set: not the same as absent.
				if sc.GetRunAsUser() == nil || sc.GetRunAsUser().GetValue() != 0 {
					t.Errorf("run_as_user = %v, want set to 0", sc.GetRunAsUser())
				}
			}
		})
	}
}

func TestParseInfoBadInput(t *testing.T) {
	for _, tc := range []struct {
		name    string
		info    map[string]string
		wantErr string
		wantPID int
	}{
		{name: "nil map", info: nil},
		{name: "no info key", info: map[string]string{"other": "x"}},
		{name: "not JSON", info: map[string]string{"info": "{pid:"}, wantErr: "verbose container info"},
		{name: "config of wrong type keeps pid", info: map[string]string{"info": `{"pid": 7, "config": "oops"}`}, wantErr: `"config"`, wantPID: 7},
		{name: "spec of wrong type keeps pid", info: map[string]string{"info": `{"pid": 8, "runtimeSpec": []}`}, wantErr: `"runtimeSpec"`, wantPID: 8},
		{name: "null parts", info: map[string]string{"info": `{"pid": 9, "config": null, "runtimeSpec": null}`}, wantPID: 9},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := parseContainerInfo(tc.info)
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("err = %v, want containing %q", err, tc.wantErr)
			}
			if v.PID != tc.wantPID {
				t.Errorf("pid = %d, want %d", v.PID, tc.wantPID)
			}
			if _, err := parseSandboxInfo(tc.info); (err != nil) != (tc.wantErr != "") {
				t.Errorf("sandbox parse err = %v, want error %v", err, tc.wantErr != "")
			}
		})
	}
}

// The one-pass decoding and the part-by-part one (used when a part does not
// parse) give the same result, and both skip only the seccomp rules' names.
func TestParseInfoOnePassMatchesPartByPart(t *testing.T) {
	for _, dir := range []string{"containerd-1.6.20", "containerd-2.4.2", "cri-o-1.34.0"} {
		t.Run(dir, func(t *testing.T) {
			doc := readFile(t, filepath.Join("testdata", dir, "container_info.json"))
			fast, err := parseContainerInfo(map[string]string{"info": doc})
			if err != nil {
				t.Fatal(err)
			}
			var ci containerInfo
			if err := json.Unmarshal([]byte(doc), &ci); err != nil {
				t.Fatal(err)
			}
			slow, err := parseSpec(ci.RuntimeSpec)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(slow, fast.Spec); diff != "" {
				t.Errorf("one pass and part by part differ (-part +one):\n%s", diff)
			}
			if fast.SandboxID != ci.SandboxID || fast.PID != ci.PID || !reflect.DeepEqual(fast.Privileged, ci.Privileged) {
				t.Errorf("one pass: sandbox %q pid %d privileged %v; part by part %q %d %v", fast.SandboxID, fast.PID, fast.Privileged, ci.SandboxID, ci.PID, ci.Privileged)
			}
			if isSet(ci.Config) {
				cfg := &runtimeapi.ContainerConfig{}
				if err := json.Unmarshal(ci.Config, cfg); err != nil {
					t.Fatal(err)
				}
				if !proto.Equal(cfg, fast.Config) {
					t.Errorf("CRI config: one pass %v, part by part %v", fast.Config, cfg)
				}
			} else if fast.Config != nil {
				t.Errorf("CRI config %v from a document without one", fast.Config)
			}
			sdoc := readFile(t, filepath.Join("testdata", dir, "sandbox_info.json"))
			sfast, err := parseSandboxInfo(map[string]string{"info": sdoc})
			if err != nil {
				t.Fatal(err)
			}
			var si sandboxInfo
			if err := json.Unmarshal([]byte(sdoc), &si); err != nil {
				t.Fatal(err)
			}
			scfg := &runtimeapi.PodSandboxConfig{}
			if isSet(si.Config) {
				if err := json.Unmarshal(si.Config, scfg); err != nil {
					t.Fatal(err)
				}
			} else {
				scfg = nil
			}
			if sfast.PID != si.PID || (scfg == nil) != (sfast.Config == nil) || !proto.Equal(scfg, sfast.Config) {
				t.Errorf("sandbox: one pass pid %d config %v; part by part %d %v", sfast.PID, sfast.Config, si.PID, scfg)
			}
			var full struct {
				RuntimeSpec specs.Spec `json:"runtimeSpec"`
			}
			if err := json.Unmarshal([]byte(doc), &full); err != nil {
				t.Fatal(err)
			}
			want, got := full.RuntimeSpec.Linux.Seccomp, fast.Spec.Linux.Seccomp
			if want == nil || got == nil {
				if want != got {
					t.Errorf("seccomp %v, want %v", got, want)
				}
				if dir != "cri-o-1.34.0" { // captured from a pod without a profile
					t.Fatalf("fixture %s has no seccomp rules to compare", dir)
				}
				return
			}
			if got.DefaultAction != want.DefaultAction || len(got.Syscalls) != len(want.Syscalls) {
				t.Errorf("seccomp = default %s, %d rules; want %s, %d", got.DefaultAction, len(got.Syscalls), want.DefaultAction, len(want.Syscalls))
			}
			for i, r := range got.Syscalls {
				if r.Names != nil || r.Action != want.Syscalls[i].Action || len(r.Args) != len(want.Syscalls[i].Args) {
					t.Errorf("rule %d = %+v, want %+v without names", i, r, want.Syscalls[i])
				}
			}
			full.RuntimeSpec.Linux.Seccomp = nil
			fast.Spec.Linux.Seccomp = nil
			if diff := cmp.Diff(&full.RuntimeSpec, fast.Spec); diff != "" {
				t.Errorf("spec beyond seccomp differs from a plain decoding (-plain +ours):\n%s", diff)
			}
		})
	}
}

// A sandbox's spec is decoded only for its sysctls: present or not, and
// the sysctls, exactly as a whole decoding gives them.
func TestParseSandboxSpecMatchesWhole(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*", "sandbox_info*.json"))
	if len(files) < 4 {
		t.Fatalf("%d sandbox fixtures", len(files))
	}
	docs := []string{`{"runtimeSpec": {}}`, `{"runtimeSpec": {"mounts": []}}`, `{"runtimeSpec": {"linux": {}}}`, `{"runtimeSpec": {"mounts": [{}]}}`, `{"runtimeSpec": {"process": null, "linux": {"sysctl": {"a": "1"}}}}`}
	for _, f := range files {
		docs = append(docs, readFile(t, f))
	}
	sysctls := 0
	for i, doc := range docs {
		v, err := parseSandboxInfo(map[string]string{"info": doc})
		if err != nil {
			t.Fatal(err)
		}
		var si sandboxInfo
		if err := json.Unmarshal([]byte(doc), &si); err != nil {
			t.Fatal(err)
		}
		whole, err := parseSpec(si.RuntimeSpec)
		if err != nil {
			t.Fatal(err)
		}
		if (whole == nil) != (v.Spec == nil) {
			t.Fatalf("doc %d: spec present %v, whole decoding %v", i, v.Spec != nil, whole != nil)
		}
		if whole == nil {
			continue
		}
		if (whole.Linux == nil) != (v.Spec.Linux == nil) {
			t.Fatalf("doc %d: linux present %v, whole decoding %v", i, v.Spec.Linux != nil, whole.Linux != nil)
		}
		if whole.Linux != nil {
			if diff := cmp.Diff(whole.Linux.Sysctl, v.Spec.Linux.Sysctl); diff != "" {
				t.Errorf("doc %d: sysctls differ (-whole +read):\n%s", i, diff)
			}
			sysctls += len(whole.Linux.Sysctl)
		}
	}
	if sysctls == 0 {
		t.Error("no sysctl compared")
	}
}
