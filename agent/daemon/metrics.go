package daemon

import (
	"runtime"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/rtaudit/rtaudit/agent/checks"
	"github.com/rtaudit/rtaudit/agent/scan"
)

// metrics are the agent's Prometheus series. Label values a container
// controls (namespace, pod and container names) are escaped by the text
// format; pod and container labels are opt-in (cardinality).
type metrics struct {
	reg *prometheus.Registry

	findings        *prometheus.GaugeVec // check, severity, namespace
	waived          *prometheus.GaugeVec // check, namespace
	perContainer    *prometheus.GaugeVec // namespace, pod, container, check, severity (opt-in)
	audited         prometheus.Gauge
	notAudited      prometheus.Gauge
	scanDuration    prometheus.Histogram
	scans           *prometheus.CounterVec // trigger: start, event, resync
	criErrors       prometheus.Counter
	apiErrors       prometheus.Counter
	criUp           prometheus.Gauge
	lastSuccess     prometheus.Gauge
	reportWrites    *prometheus.CounterVec // op
	eventToFinding  prometheus.Histogram
	podLabels       bool
	declaredFromAPI prometheus.Gauge
	podLevels       *prometheus.GaugeVec // declared, effective: Pod Security Standards levels
}

// apiUp is read at each scrape: the API's health changes between audits.
func newMetrics(version string, podLabels bool, apiUp func() bool) *metrics {
	m := &metrics{reg: prometheus.NewRegistry(), podLabels: podLabels}
	f := func(c prometheus.Collector) { m.reg.MustRegister(c) }
	m.findings = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "rtaudit_findings", Help: "Findings of the last audit (waived and info findings excluded), by check, severity and namespace.",
	}, []string{"check", "severity", "namespace"})
	m.waived = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "rtaudit_findings_waived", Help: "Findings of the last audit accepted by a waiver, by check and namespace.",
	}, []string{"check", "namespace"})
	m.perContainer = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "rtaudit_container_findings", Help: "Findings of the last audit per container (only with --metrics-pod-labels).",
	}, []string{"namespace", "pod", "container", "check", "severity"})
	m.audited = prometheus.NewGauge(prometheus.GaugeOpts{Name: "rtaudit_containers_audited", Help: "Containers audited by the last audit."})
	m.notAudited = prometheus.NewGauge(prometheus.GaugeOpts{Name: "rtaudit_containers_not_audited", Help: "Containers the last audit could not read (the audit is incomplete for them)."})
	m.scanDuration = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "rtaudit_scan_duration_seconds", Help: "Wall time of one audit of the node.",
		Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	})
	m.scans = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rtaudit_scans_total", Help: "Audits run, by what triggered them."}, []string{"trigger"})
	m.criErrors = prometheus.NewCounter(prometheus.CounterOpts{Name: "rtaudit_cri_errors_total", Help: "Failed connections and calls to the container runtime."})
	m.apiErrors = prometheus.NewCounter(prometheus.CounterOpts{Name: "rtaudit_api_errors_total", Help: "Failed calls to the Kubernetes API (watches, report writes, events)."})
	m.criUp = prometheus.NewGauge(prometheus.GaugeOpts{Name: "rtaudit_cri_up", Help: "1 when the last call to the container runtime succeeded."})
	up := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "rtaudit_api_up", Help: "1 when the pod watch is healthy and the API server answers; 0 while it is unreachable (audits then use the last known specs)."}, func() float64 {
		if apiUp() {
			return 1
		}
		return 0
	})
	m.declaredFromAPI = prometheus.NewGauge(prometheus.GaugeOpts{Name: "rtaudit_declared_from_api", Help: "1 when audits judge against the API's pod specs, 0 when against the CRI configs (no API, or not synced yet)."})
	m.lastSuccess = prometheus.NewGauge(prometheus.GaugeOpts{Name: "rtaudit_last_successful_scan_timestamp_seconds", Help: "Unix time of the last complete audit."})
	m.reportWrites = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rtaudit_report_writes_total", Help: "Report objects written to the API, by operation."}, []string{"op"})
	m.eventToFinding = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "rtaudit_event_to_audit_seconds", Help: "Time from a container start event to the end of the audit that judged it.",
		Buckets: []float64{.05, .1, .2, .3, .5, .75, 1, 2, 5},
	})
	m.podLevels = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "rtaudit_pods", Help: "Pods of the last audit with a declared spec, by declared and effective Pod Security Standards level.",
	}, []string{"declared", "effective"})
	build := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "rtaudit_build_info", Help: "The agent's version."}, []string{"version", "goversion"})
	build.WithLabelValues(version, runtime.Version()).Set(1)
	for _, c := range []prometheus.Collector{m.findings, m.waived, m.audited, m.notAudited, m.scanDuration, m.scans,
		m.criErrors, m.apiErrors, m.criUp, up, m.declaredFromAPI, m.lastSuccess, m.reportWrites, m.eventToFinding, m.podLevels, build,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})} {
		f(c)
	}
	if podLabels {
		f(m.perContainer)
	}
	return m
}

// observe sets the gauges from one report.
func (m *metrics) observe(r *scan.Report) {
	m.findings.Reset()
	m.waived.Reset()
	m.perContainer.Reset()
	for _, fd := range r.Findings {
		switch {
		case fd.Waiver != "":
			m.waived.WithLabelValues(string(fd.Check), fd.Namespace).Inc()
		case fd.Severity != checks.Info:
			m.findings.WithLabelValues(string(fd.Check), string(fd.Severity), fd.Namespace).Inc()
			if m.podLabels {
				m.perContainer.WithLabelValues(fd.Namespace, fd.Pod, fd.Container, string(fd.Check), string(fd.Severity)).Inc()
			}
		}
	}
	m.podLevels.Reset()
	for _, p := range r.Pods {
		m.podLevels.WithLabelValues(p.DeclaredLevel, p.EffectiveLevel).Inc()
	}
	m.audited.Set(float64(len(r.Containers)))
	m.notAudited.Set(float64(len(r.Errors)))
}
