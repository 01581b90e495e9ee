// Package report renders a scan.Report for people (an aligned table) and
// for scripts (JSON, the stable contract). Later: SARIF, Prometheus
// metrics and OpenReports resources.
//
// It formats only: it must not scan, probe or talk to a runtime.
package report
