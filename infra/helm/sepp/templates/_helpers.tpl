{{/*
Names, labels and the pieces every role shares. A "role" is responder, initiator or ipx; templates
that loop over roles call these with (dict "root" $ "role" $role).
*/}}

{{- define "sepp.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "sepp.fullname" -}}
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

{{- define "sepp.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* "<fullname>-<role>", the name of a role's objects. */}}
{{- define "sepp.roleName" -}}
{{- printf "%s-%s" (include "sepp.fullname" .root | trunc 52 | trimSuffix "-") .role }}
{{- end }}

{{- define "sepp.selectorLabels" -}}
app.kubernetes.io/name: {{ include "sepp.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .role }}
{{- end }}

{{- define "sepp.labels" -}}
helm.sh/chart: {{ include "sepp.chart" .root }}
{{ include "sepp.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: sepp
{{- with .root.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "sepp.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}

{{- define "sepp.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "sepp.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The roles in the order they are rendered. */}}
{{- define "sepp.roles" -}}
responder initiator ipx
{{- end }}

{{/* Where each file goes in a pod. */}}
{{- define "sepp.paths" -}}
config: /etc/sepp/config
tls: /etc/sepp/tls
ca: /etc/sepp/ca
crl: /etc/sepp/crl
signing: /etc/sepp/ipx-signing
redisPassword: /etc/sepp/redis-password
redisTls: /etc/sepp/redis-tls
redisSentinelPassword: /etc/sepp/redis-sentinel-password
keyWrap: /etc/sepp/key-wrap
{{- end }}

{{/* "true" when the SEPPs share state in Redis (an external URL, Sentinel, Cluster or the lab StatefulSet), else "". */}}
{{- define "sepp.stateEnabled" -}}
{{- if or .Values.state.redis.url .Values.state.redis.sentinel.masterName .Values.state.redis.cluster.nodes .Values.redis.enabled }}true{{ end }}
{{- end }}

{{- define "sepp.redisUrl" -}}
{{- if .Values.state.redis.url }}
{{- .Values.state.redis.url }}
{{- else }}
{{- printf "redis://%s-redis:%d" (include "sepp.fullname" . | trunc 56 | trimSuffix "-") (int .Values.redis.port) }}
{{- end }}
{{- end }}

{{/* The TLS Secrets of a role: its own `tls` over the top-level one (the relay has only its own). */}}
{{- define "sepp.tlsValues" -}}
{{- $role := index .root.Values .role }}
{{- if eq .role "ipx" }}
{{- toYaml $role.tls }}
{{- else }}
{{- toYaml (mergeOverwrite (deepCopy .root.Values.tls) (deepCopy (default dict $role.tls))) }}
{{- end }}
{{- end }}

{{/* The container ports of a role, as a YAML mapping name -> port. */}}
{{- define "sepp.ports" -}}
{{- $role := index .root.Values .role }}
{{- if eq .role "responder" }}
n32: {{ int $role.ports.n32 }}
{{- else if eq .role "initiator" }}
sbi: {{ int $role.ports.sbi }}
{{- if $role.n32Listener.enabled }}
n32: {{ int $role.ports.n32 }}
{{- end }}
{{- else }}
n32f: {{ int $role.ports.n32f }}
{{- end }}
admin: {{ int $role.ports.admin }}
{{- end }}

{{/*
The configuration file of a role (YAML): `config` merged with the role's own, then the keys the
chart owns (listeners on the pod's addresses, the mounted certificate paths, the state block).
*/}}
{{- define "sepp.configFile" -}}
{{- $root := .root }}
{{- $role := index $root.Values .role }}
{{- $paths := include "sepp.paths" . | fromYaml }}
{{- $tls := include "sepp.tlsValues" . | fromYaml }}
{{- $ports := include "sepp.ports" . | fromYaml }}
{{- $tlsFiles := dict "cert" (printf "%s/%s" $paths.tls $tls.certKey) "key" (printf "%s/%s" $paths.tls $tls.keyKey) "ca" (list (printf "%s/%s" $paths.ca $tls.caKey)) }}
{{- if $tls.crlExistingSecret }}
{{- $_ := set $tlsFiles "crl" (list (printf "%s/%s" $paths.crl $tls.crlKey)) }}
{{- end }}
{{- if eq .role "ipx" }}
{{- $cfg := deepCopy (default dict $role.config) }}
{{- $ipx := mergeOverwrite (default dict $cfg.ipx) (dict "signingKey" (printf "%s/%s" $paths.signing $role.signingKey.keyKey)) }}
{{- if $role.signingKey.certKey }}
{{- $_ := set $ipx "certificate" (printf "%s/%s" $paths.signing $role.signingKey.certKey) }}
{{- end }}
{{- $_ := set $cfg "ipx" $ipx }}
{{- $_ := set $cfg "tls" (mergeOverwrite (default dict $cfg.tls) $tlsFiles) }}
{{- $_ := set $cfg "listen" (dict "host" "0.0.0.0" "port" $ports.n32f) }}
{{- $_ := set $cfg "admin" (dict "listen" (dict "host" "0.0.0.0" "port" $ports.admin)) }}
{{- toYaml $cfg }}
{{- else }}
{{- $cfg := mergeOverwrite (deepCopy (default dict $root.Values.config)) (deepCopy (default dict $role.config)) }}
{{- $_ := set $cfg "tls" (mergeOverwrite (default dict $cfg.tls) $tlsFiles) }}
{{- $_ := set $cfg "admin" (dict "listen" (dict "host" "0.0.0.0" "port" $ports.admin)) }}
{{- $n32 := default dict $cfg.n32 }}
{{- if hasKey $ports "n32" }}
{{- $_ := set $n32 "listen" (dict "host" "0.0.0.0" "port" $ports.n32) }}
{{- end }}
{{- $_ := set $cfg "n32" $n32 }}
{{- if hasKey $ports "sbi" }}
{{- $_ := set $cfg "sbi" (mergeOverwrite (default dict $cfg.sbi) (dict "listen" (dict "host" "0.0.0.0" "port" $ports.sbi))) }}
{{- end }}
{{- if include "sepp.stateEnabled" $root }}
{{- $redis := dict "keyPrefix" $root.Values.state.redis.keyPrefix }}
{{- $sentinelValues := $root.Values.state.redis.sentinel }}
{{- if $root.Values.state.redis.cluster.nodes }}
{{- $_ := set $redis "cluster" (dict "nodes" $root.Values.state.redis.cluster.nodes) }}
{{- else if $sentinelValues.masterName }}
{{- $sentinel := dict "masterName" $sentinelValues.masterName "addresses" $sentinelValues.addresses "db" (int $sentinelValues.db) }}
{{- if $sentinelValues.password.existingSecret }}
{{- $_ := set $sentinel "passwordFile" (printf "%s/%s" $paths.redisSentinelPassword $sentinelValues.password.key) }}
{{- end }}
{{- $_ := set $redis "sentinel" $sentinel }}
{{- else }}
{{- $_ := set $redis "url" (include "sepp.redisUrl" $root) }}
{{- end }}
{{- if $root.Values.state.redis.password.existingSecret }}
{{- $_ := set $redis "passwordFile" (printf "%s/%s" $paths.redisPassword $root.Values.state.redis.password.key) }}
{{- end }}
{{- with $root.Values.state.redis.tls }}
{{- if .existingSecret }}
{{- $redisTls := dict "ca" (list (printf "%s/%s" $paths.redisTls .caKey)) }}
{{- if .certKey }}
{{- $_ := set $redisTls "cert" (printf "%s/%s" $paths.redisTls .certKey) }}
{{- $_ := set $redisTls "key" (printf "%s/%s" $paths.redisTls .keyKey) }}
{{- end }}
{{- $_ := set $redis "tls" $redisTls }}
{{- end }}
{{- end }}
{{- $_ := set $cfg "state" (dict "redis" $redis "keyWrapKeyFile" (printf "%s/%s" $paths.keyWrap $root.Values.state.keyWrapKey.key)) }}
{{- end }}
{{- toYaml $cfg }}
{{- end }}
{{- end }}

{{/* The role's stop budget: preStop sleep + limits.drainTimeoutMs (rounded up to s) + 15 s (the app exits 1 after drain + 10 s). */}}
{{- define "sepp.terminationGrace" -}}
{{- $cfg := include "sepp.configFile" . | fromYaml }}
{{- $drainMs := int (dig "limits" "drainTimeoutMs" 10000 $cfg) }}
{{- add (int .root.Values.preStopSleepSeconds) (div (add $drainMs 999) 1000) 15 }}
{{- end }}
