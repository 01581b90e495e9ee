package probes

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const statusHead = "Name:\tsleep\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t42\nPid:\t42\nPPid:\t1\n"

const statusFull = statusHead + "Uid:\t1000\t1001\t1002\t1003\nGid:\t2000\t2001\t2002\t2003\nFDSize:\t64\n" +
	"Groups:\t4 27 100 \nNStgid:\t42\t1\nNSpid:\t42\t1\nVmPeak:\t    2268 kB\n" +
	"CapInh:\t0000000000000400\nCapPrm:\t0000000000000400\nCapEff:\t0000000000000400\n" +
	"CapBnd:\t00000000a80425fb\nCapAmb:\t0000000000000400\nNoNewPrivs:\t1\nSeccomp:\t2\nSeccomp_filters:\t3\n" +
	"Speculation_Store_Bypass:\tthread vulnerable\nCpus_allowed_list:\t0-1\n"

func TestParseStatus(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Process
		wantErr string
	}{
		{
			name: "full",
			in:   statusFull,
			want: Process{
				UID: IDs{1000, 1001, 1002, 1003}, GID: IDs{2000, 2001, 2002, 2003},
				Groups: []uint32{4, 27, 100}, NSpid: []int{42, 1},
				Caps:       Capabilities{Inheritable: 0x400, Permitted: 0x400, Effective: 0x400, Bounding: 0xa80425fb, Ambient: 0x400},
				NoNewPrivs: true, Seccomp: SeccompFilter, SeccompFilters: 3,
			},
		},
		{
			name: "old kernel without CapAmb, NoNewPrivs, Seccomp, NSpid; empty Groups",
			in:   statusHead + "Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nGroups:\t\nCapInh:\t0000000000000000\nCapPrm:\t0000003fffffffff\nCapEff:\t0000003fffffffff\nCapBnd:\t0000003fffffffff",
			want: Process{Caps: Capabilities{Permitted: 0x3fffffffff, Effective: 0x3fffffffff, Bounding: 0x3fffffffff}},
		},
		{name: "empty", in: "", wantErr: "missing"},
		{name: "truncated before CapEff", in: statusFull[:strings.Index(statusFull, "CapEff")], wantErr: "missing"},
		{name: "three uids", in: strings.Replace(statusFull, "1000\t1001\t1002\t1003", "1000\t1001\t1002", 1), wantErr: "field Uid"},
		{name: "five uids", in: strings.Replace(statusFull, "1003", "1003\t7", 1), wantErr: "more than 4"},
		{name: "uid overflow", in: strings.Replace(statusFull, "1003", "4294967296", 1), wantErr: "field Uid"},
		{name: "short cap mask", in: strings.Replace(statusFull, "CapEff:\t0000000000000400", "CapEff:\t400", 1), wantErr: "16 hex"},
		{name: "bad cap hex", in: strings.Replace(statusFull, "CapEff:\t0000000000000400", "CapEff:\tzzzzzzzzzzzzzzzz", 1), wantErr: "field CapEff"},
		{name: "bad group", in: strings.Replace(statusFull, "27", "x", 1), wantErr: "field Groups"},
		{name: "bad seccomp", in: strings.Replace(statusFull, "Seccomp:\t2", "Seccomp:\t2 3", 1), wantErr: "field Seccomp"},
		{name: "negative nspid", in: strings.Replace(statusFull, "NSpid:\t42\t1", "NSpid:\t42\t-1", 1), wantErr: "field NSpid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got Process
			err := parseStatus([]byte(tt.in), &got)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func FuzzParseStatus(f *testing.F) {
	f.Add(statusFull)
	f.Add(statusHead)
	f.Add("Uid:\t\t\t\t\nGroups:\nCapInh:\t")
	f.Add("Groups:\t0 \nNSpid:\t1\t2\t3\nSeccomp_filters:\t99999999999\n")
	f.Fuzz(func(t *testing.T, in string) {
		var p Process
		if err := parseStatus([]byte(in), &p); err == nil && !strings.Contains(in, "CapBnd") {
			t.Fatalf("accepted status without CapBnd: %q", in)
		}
	})
}
