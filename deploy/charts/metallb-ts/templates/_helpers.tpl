{{/* The chart name, or nameOverride: the value of every object's `app` label. */}}
{{- define "metallb-ts.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The full name, prefix of the Deployment, DaemonSet and other object names: fullnameOverride, else
the release name when it contains the chart name (release "metallb-ts" → "metallb-ts"), else
"<release>-<name>".
*/}}
{{- define "metallb-ts.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Labels of one component's objects and selectors (the same as the native manifest's). */}}
{{- define "metallb-ts.labels" -}}
app: {{ include "metallb-ts.name" .root }}
component: {{ .component }}
{{- end }}

{{/* The ServiceAccount names. */}}
{{- define "metallb-ts.controller.serviceAccountName" -}}
{{- if .Values.controller.serviceAccount.create }}
{{- default (printf "%s-controller" (include "metallb-ts.fullname" .)) .Values.controller.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.controller.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "metallb-ts.speaker.serviceAccountName" -}}
{{- if .Values.speaker.serviceAccount.create }}
{{- default (printf "%s-speaker" (include "metallb-ts.fullname" .)) .Values.speaker.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.speaker.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* An image reference: repository:tag, the tag defaulting to the chart's appVersion. */}}
{{- define "metallb-ts.image" -}}
{{- printf "%s:%s" .image.repository (default .root.Chart.AppVersion .image.tag) }}
{{- end }}

{{/*
The metrics flags both binaries take. With secureMetrics, /metrics is HTTPS on metricsPort and
--port keeps only the probes; without, /metrics is plain HTTP on --port beside the probes (a
--metrics-bind-address would then move the probes too, so none is given).
*/}}
{{- define "metallb-ts.metricsArgs" -}}
{{- if .root.Values.prometheus.secureMetrics }}
- --metrics-secure
- --metrics-bind-address=:{{ .root.Values.prometheus.metricsPort }}
{{- if .tlsSecret }}
- --metrics-cert-dir=/etc/metallb-ts/metrics-certs
{{- end }}
{{- end }}
{{- end }}

{{/* The name of the port serving /metrics: metricshttps (HTTPS), else the probes port. */}}
{{- define "metallb-ts.metricsPortName" -}}
{{- if .Values.prometheus.secureMetrics }}metricshttps{{ else }}probes{{ end }}
{{- end }}

{{/* The number of the port serving /metrics for a component (its values as .component). */}}
{{- define "metallb-ts.metricsPortNumber" -}}
{{- if .root.Values.prometheus.secureMetrics }}{{ .root.Values.prometheus.metricsPort }}{{ else }}{{ .component.probePort }}{{ end }}
{{- end }}

{{/* Pod annotations: prometheus.scrapeAnnotations plus the component's podAnnotations. */}}
{{- define "metallb-ts.podAnnotations" -}}
{{- $a := dict }}
{{- if .root.Values.prometheus.scrapeAnnotations }}
{{- /* prometheus.io/* annotations are the plain-HTTP convention; with secureMetrics the scraper also needs a token */}}
{{- $_ := set $a "prometheus.io/scrape" "true" }}
{{- $_ := set $a "prometheus.io/port" (include "metallb-ts.metricsPortNumber" .) }}
{{- $_ := set $a "prometheus.io/scheme" (ternary "https" "http" .root.Values.prometheus.secureMetrics) }}
{{- end }}
{{- $a = merge $a (.component.podAnnotations | default dict) }}
{{- if $a }}
annotations:
  {{- toYaml $a | nindent 2 }}
{{- end }}
{{- end }}

{{/* A probe from the values' livenessProbe/readinessProbe (enabled + timings). */}}
{{- define "metallb-ts.probe" -}}
httpGet:
  {{- if .host }}
  host: {{ .host }}
  {{- end }}
  path: {{ .path }}
  port: probes
initialDelaySeconds: {{ .probe.initialDelaySeconds }}
periodSeconds: {{ .probe.periodSeconds }}
timeoutSeconds: {{ .probe.timeoutSeconds }}
successThreshold: {{ .probe.successThreshold }}
failureThreshold: {{ .probe.failureThreshold }}
{{- end }}

{{/* Fails rendering with a message when the values cannot work together. */}}
{{- define "metallb-ts.validate" -}}
{{- if and .Values.controller.enabled (gt (int .Values.controller.replicas) 1) (not .Values.controller.leaderElect) }}
{{- fail "controller.replicas > 1 needs controller.leaderElect: true (two replicas without election would allocate independently)" }}
{{- end }}
{{- if and .Values.prometheus.podMonitor.enabled .Values.prometheus.serviceMonitor.enabled }}
{{- fail "enable one of prometheus.podMonitor and prometheus.serviceMonitor, not both (every target would be scraped twice)" }}
{{- end }}
{{- if and .Values.prometheus.rbacPrometheus (or .Values.prometheus.podMonitor.enabled .Values.prometheus.serviceMonitor.enabled) (or (not .Values.prometheus.serviceAccount) (not .Values.prometheus.namespace)) }}
{{- fail "prometheus.rbacPrometheus with a monitor enabled needs prometheus.serviceAccount and prometheus.namespace (Prometheus' ServiceAccount), or set prometheus.rbacPrometheus: false" }}
{{- end }}
{{- end }}
