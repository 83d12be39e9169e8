{{/*
The chart name, or nameOverride.
*/}}
{{- define "memacct-exporter.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The full name: fullnameOverride, else "<release>-<name>", or the release name
alone when it already contains the chart name. Truncated to 63 characters (DNS
label limit).
*/}}
{{- define "memacct-exporter.fullname" -}}
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

{{/*
Chart name and version, for the helm.sh/chart label.
*/}}
{{- define "memacct-exporter.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The namespace of namespaced resources.
*/}}
{{- define "memacct-exporter.namespace" -}}
{{- default .Release.Namespace .Values.namespaceOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Selector labels of one part of the chart: (list . "exporter") for the
DaemonSet's pods, (list . "jetstream") for the JetStream poller's. Stable
across upgrades (a DaemonSet's or Deployment's selector is immutable); the
component keeps the two parts' selectors apart.
*/}}
{{- define "memacct-exporter.selectorLabelsFor" -}}
{{- $ctx := index . 0 -}}
app.kubernetes.io/name: {{ include "memacct-exporter.name" $ctx }}
app.kubernetes.io/instance: {{ $ctx.Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end }}

{{/*
The recommended app.kubernetes.io labels of one part of the chart, same
argument as selectorLabelsFor.
*/}}
{{- define "memacct-exporter.labelsFor" -}}
{{- $ctx := index . 0 -}}
helm.sh/chart: {{ include "memacct-exporter.chart" $ctx }}
{{ include "memacct-exporter.selectorLabelsFor" . }}
{{- with $ctx.Chart.AppVersion }}
app.kubernetes.io/version: {{ . | quote }}
{{- end }}
app.kubernetes.io/part-of: memacct
app.kubernetes.io/managed-by: {{ $ctx.Release.Service }}
{{- with $ctx.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
The node exporters (DaemonSet) and everything shared: selector and labels.
*/}}
{{- define "memacct-exporter.selectorLabels" -}}
{{ include "memacct-exporter.selectorLabelsFor" (list . "exporter") }}
{{- end }}
{{- define "memacct-exporter.labels" -}}
{{ include "memacct-exporter.labelsFor" (list . "exporter") }}
{{- end }}

{{/*
The JetStream poller (Deployment, its Service and ServiceMonitor).
*/}}
{{- define "memacct-exporter.jetstreamSelectorLabels" -}}
{{ include "memacct-exporter.selectorLabelsFor" (list . "jetstream") }}
{{- end }}
{{- define "memacct-exporter.jetstreamLabels" -}}
{{ include "memacct-exporter.labelsFor" (list . "jetstream") }}
{{- end }}

{{/*
The JetStream poller's name: "<fullname>-jetstream", within 63 characters.
*/}}
{{- define "memacct-exporter.jetstreamName" -}}
{{- printf "%s-jetstream" (include "memacct-exporter.fullname" . | trunc 53 | trimSuffix "-") }}
{{- end }}

{{/*
The ServiceAccount name.
*/}}
{{- define "memacct-exporter.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "memacct-exporter.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
The image reference: repository, then @digest or :tag (default appVersion).
*/}}
{{- define "memacct-exporter.image" -}}
{{- $repo := required "image.repository is required" .Values.image.repository }}
{{- if .Values.image.digest }}
{{- printf "%s@%s" $repo .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" $repo (default .Chart.AppVersion .Values.image.tag | toString) }}
{{- end }}
{{- end }}

{{/*
Whether the JetStream collector is on: "true" or "".
*/}}
{{- define "memacct-exporter.natsEnabled" -}}
{{- if .Values.nats.url }}true{{ end }}
{{- end }}

{{/*
Validates the NATS credential settings; fails the render with a clear message.
*/}}
{{- define "memacct-exporter.validateNats" -}}
{{- $a := .Values.nats.auth }}
{{- if not (has $a.passwordFrom (list "file" "env")) }}
{{- fail (printf "nats.auth.passwordFrom must be \"file\" or \"env\", not %q" (toString $a.passwordFrom)) }}
{{- end }}
{{- $keys := list $a.credsKey $a.nkeyKey $a.userKey $a.passwordKey $a.tokenKey | compact }}
{{- if and $keys (not $a.existingSecret) }}
{{- fail "nats.auth: a key (credsKey, nkeyKey, userKey, passwordKey, tokenKey) is set but nats.auth.existingSecret is empty" }}
{{- end }}
{{- if and $a.passwordKey (not $a.userKey) }}
{{- fail "nats.auth.passwordKey needs nats.auth.userKey" }}
{{- end }}
{{- if and $a.existingSecret (not $keys) }}
{{- fail "nats.auth.existingSecret is set but none of credsKey, nkeyKey, userKey, passwordKey, tokenKey is" }}
{{- end }}
{{- end }}

{{/*
Items of the NATS auth Secret volume: only the keys in use, as files.
*/}}
{{- define "memacct-exporter.natsAuthItems" -}}
{{- $a := .Values.nats.auth }}
{{- if $a.credsKey }}
- key: {{ $a.credsKey }}
  path: nats.creds
{{- end }}
{{- if $a.nkeyKey }}
- key: {{ $a.nkeyKey }}
  path: nkey.seed
{{- end }}
{{- if and $a.passwordKey (eq $a.passwordFrom "file") }}
- key: {{ $a.passwordKey }}
  path: password
{{- end }}
{{- if $a.tokenKey }}
- key: {{ $a.tokenKey }}
  path: token
{{- end }}
{{- end }}

{{/*
Items of the NATS TLS Secret volume.
*/}}
{{- define "memacct-exporter.natsTLSItems" -}}
{{- $t := .Values.nats.tls }}
{{- if $t.caKey }}
- key: {{ $t.caKey }}
  path: ca.crt
{{- end }}
{{- if $t.certKey }}
- key: {{ $t.certKey }}
  path: tls.crt
{{- end }}
{{- if $t.keyKey }}
- key: {{ $t.keyKey }}
  path: tls.key
{{- end }}
{{- end }}

{{/*
Flags both parts pass: the HTTP server and logging.
*/}}
{{- define "memacct-exporter.commonArgs" -}}
- --web.listen-address=:{{ .Values.web.port }}
- --web.telemetry-path={{ .Values.web.telemetryPath }}
{{- if gt (int .Values.web.maxRequests) 0 }}
- --web.max-requests={{ .Values.web.maxRequests }}
{{- end }}
- --log.level={{ .Values.log.level }}
- --log.format={{ .Values.log.format }}
{{- end }}

{{/*
The node exporter's flags (DaemonSet), one per line as a YAML list. Never a
--nats.* flag: the JetStream poller is its own Deployment. --path.sysfs (not
--path.cgroupfs): the exporter takes <sysfs>/fs/cgroup/memory on cgroup v1
and hybrid nodes and <sysfs>/fs/cgroup on v2 nodes, so one chart fits both.
*/}}
{{- define "memacct-exporter.args" -}}
{{ include "memacct-exporter.commonArgs" . }}
- --path.sysfs=/host/sys
- --path.procfs=/host/proc
{{- if .Values.podNames.enabled }}
- --path.podlogs=/host/var/log
{{- end }}
{{- $c := .Values.collectors }}
{{- if not $c.cgroup.enabled }}
- --no-collector.cgroup
{{- end }}
{{- with $c.cgroup.include }}
- --collector.cgroup.include={{ . }}
{{- end }}
{{- with $c.cgroup.exclude }}
- --collector.cgroup.exclude={{ . }}
{{- end }}
{{- if ge (int $c.cgroup.maxDepth) 0 }}
- --collector.cgroup.max-depth={{ $c.cgroup.maxDepth }}
{{- end }}
{{- if not $c.process.enabled }}
- --no-collector.process
{{- end }}
{{- if and $c.process.enabled $c.process.pss }}
- --collector.process.pss
{{- end }}
{{- if not $c.node.enabled }}
- --no-collector.node
{{- end }}
{{- range .Values.extraArgs }}
{{- if hasPrefix "--nats." (toString .) }}
{{- fail (printf "extraArgs: %s: the DaemonSet never polls NATS; put --nats.* flags in nats.extraArgs (the JetStream poller's)" .) }}
{{- end }}
- {{ . }}
{{- end }}
{{- end }}

{{/*
The JetStream poller's flags: only the jetstream collector (and the
exporter's own process_* series), the NATS settings, nats.extraArgs.
*/}}
{{- define "memacct-exporter.jetstreamArgs" -}}
{{ include "memacct-exporter.commonArgs" . }}
- --no-collector.cgroup
- --no-collector.process
- --no-collector.node
{{- $n := .Values.nats }}
- --nats.url={{ $n.url }}
{{- with $n.pollInterval }}
- --nats.poll-interval={{ . }}
{{- end }}
{{- with $n.streamInclude }}
- --nats.stream-include={{ . }}
{{- end }}
{{- with $n.streamExclude }}
- --nats.stream-exclude={{ . }}
{{- end }}
{{- if gt (int $n.maxStreams) 0 }}
- --nats.max-streams={{ $n.maxStreams }}
{{- end }}
{{- $a := $n.auth }}
{{- if $a.existingSecret }}
{{- if $a.credsKey }}
- --nats.creds=/etc/memacct/nats/auth/nats.creds
{{- end }}
{{- if $a.nkeyKey }}
- --nats.nkey=/etc/memacct/nats/auth/nkey.seed
{{- end }}
{{- if $a.userKey }}
- --nats.user=$(MEMACCT_NATS_USER)
{{- end }}
{{- if and $a.passwordKey (eq $a.passwordFrom "file") }}
- --nats.password-file=/etc/memacct/nats/auth/password
{{- end }}
{{- if $a.tokenKey }}
- --nats.token-file=/etc/memacct/nats/auth/token
{{- end }}
{{- end }}
{{- $t := $n.tls }}
{{- if $t.existingSecret }}
{{- if $t.caKey }}
- --nats.tls.ca=/etc/memacct/nats/tls/ca.crt
{{- end }}
{{- if $t.certKey }}
- --nats.tls.cert=/etc/memacct/nats/tls/tls.crt
{{- end }}
{{- if $t.keyKey }}
- --nats.tls.key=/etc/memacct/nats/tls/tls.key
{{- end }}
{{- end }}
{{- range $n.extraArgs }}
- {{ . }}
{{- end }}
{{- end }}

{{/*
The metrics port and the probes, the same in both parts' containers.
*/}}
{{- define "memacct-exporter.portsAndProbes" -}}
ports:
  - name: metrics
    containerPort: {{ .Values.web.port }}
    protocol: TCP
{{- range $probe := list "livenessProbe" "readinessProbe" }}
{{- $p := index $.Values $probe }}
{{- if $p.enabled }}
{{ $probe }}:
  httpGet:
    path: /healthz
    port: metrics
  initialDelaySeconds: {{ $p.initialDelaySeconds }}
  periodSeconds: {{ $p.periodSeconds }}
  timeoutSeconds: {{ $p.timeoutSeconds }}
  failureThreshold: {{ $p.failureThreshold }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Pod securityContext: the values, with root forced when PSS is on (reading
other users' smaps_rollup needs CAP_SYS_PTRACE, which a non-root process does
not get from Kubernetes).
*/}}
{{- define "memacct-exporter.podSecurityContext" -}}
{{- $psc := deepCopy .Values.podSecurityContext }}
{{- if and .Values.collectors.process.enabled .Values.collectors.process.pss }}
{{- $_ := set $psc "runAsNonRoot" false }}
{{- $_ := set $psc "runAsUser" 0 }}
{{- $_ := set $psc "runAsGroup" 0 }}
{{- end }}
{{- toYaml $psc }}
{{- end }}

{{/*
Container securityContext: the values, plus SYS_PTRACE when PSS is on.
*/}}
{{- define "memacct-exporter.securityContext" -}}
{{- $sc := deepCopy .Values.securityContext }}
{{- if and .Values.collectors.process.enabled .Values.collectors.process.pss }}
{{- $caps := default (dict) (get $sc "capabilities") }}
{{- $add := default (list) (get $caps "add") }}
{{- $_ := set $caps "add" (append $add "SYS_PTRACE" | uniq) }}
{{- $_ := set $sc "capabilities" $caps }}
{{- $_ := set $sc "runAsNonRoot" false }}
{{- $_ := set $sc "runAsUser" 0 }}
{{- end }}
{{- toYaml $sc }}
{{- end }}
