package checks

// ID names a check. It is part of the output contract (JSON, Reports,
// metrics labels, waivers): never rename one.
type ID string

// The checks. Every ID here is registered by exactly one check file
// (TestEveryIDRegistered), and nothing else names a check.
const (
	AppArmor            ID = "apparmor"
	Capabilities        ID = "capabilities"
	EncryptionAtRest    ID = "encryption-at-rest"
	HostIPC             ID = "host-ipc"
	HostMounts          ID = "host-mounts"
	HostNetwork         ID = "host-network"
	HostPID             ID = "host-pid"
	HostPort            ID = "host-port"
	HostUsers           ID = "host-users"
	IDMappings          ID = "id-mappings"
	NestedNamespaces    ID = "nested-namespaces"
	NetworkPolicy       ID = "network-policy"
	NoNewPrivs          ID = "no-new-privs"
	Privileged          ID = "privileged"
	ProcMount           ID = "proc-mount"
	PSSLevel            ID = "pss-level"
	ReadonlyRootfs      ID = "readonly-rootfs"
	ReadonlyVolumes     ID = "readonly-volumes"
	RunAsGroup          ID = "run-as-group"
	RunAsNonRoot        ID = "run-as-non-root"
	RunAsUser           ID = "run-as-user"
	Seccomp             ID = "seccomp"
	SELinux             ID = "selinux"
	SecretEnv           ID = "secret-env"
	SecretHostPaths     ID = "secret-host-paths"
	SecretVolumes       ID = "secret-volumes"
	ServiceAccountToken ID = "service-account-token"
	SupplementalGroups  ID = "supplemental-groups"
	Sysctls             ID = "sysctls"
	UndeclaredContainer ID = "undeclared-container"
	UnusedToken         ID = "unused-token"
)
