{{- define "rtaudit.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The release name, or release-chart when it does not contain the chart name. */}}
{{- define "rtaudit.fullname" -}}
{{- if contains .Chart.Name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{- define "rtaudit.selectorLabels" -}}
app.kubernetes.io/name: {{ include "rtaudit.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: agent
{{- end }}

{{- define "rtaudit.labels" -}}
{{ include "rtaudit.selectorLabels" . }}
app.kubernetes.io/part-of: rtaudit
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end }}

{{- define "rtaudit.reports" -}}
{{- $modes := list "auto" "openreports" "wgpolicy" "none" }}
{{- if not (has .Values.reports $modes) }}
{{- fail (printf "reports must be one of %s, not %q" (join ", " $modes) .Values.reports) }}
{{- end }}
{{- .Values.reports }}
{{- end }}

{{- define "rtaudit.socketPath" -}}
{{- $p := .Values.runtime.socketPath }}
{{- if or (not (hasPrefix "/" $p)) (contains ".." $p) }}
{{- fail (printf "runtime.socketPath must be an absolute host path, not %q" $p) }}
{{- end }}
{{- $p }}
{{- end }}

{{- define "rtaudit.stateRoot" -}}
{{- $p := .Values.runtime.stateRoot | default "" }}
{{- if and $p (or (not (hasPrefix "/" $p)) (contains ".." $p)) }}
{{- fail (printf "runtime.stateRoot must be an absolute host path or empty, not %q" $p) }}
{{- end }}
{{- $p }}
{{- end }}
