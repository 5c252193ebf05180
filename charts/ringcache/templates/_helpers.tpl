{{/*
Expand the name of the chart.
*/}}
{{- define "ringcache.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Create a default fully qualified app name.
We truncate at 63 chars because some Kubernetes name fields are limited to this (by the DNS naming spec).
If release name contains chart name it will be used as a full name.
*/}}
{{- define "ringcache.fullname" -}}
{{- $full := "" }}
{{- if .Values.fullnameOverride }}
{{- $full = .Values.fullnameOverride }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- $full = .Release.Name }}
{{- else }}
{{- $full = printf "%s-%s" .Release.Name $name }}
{{- end }}
{{- end }}
{{- /* Helm allows dots in release names; Service names (DNS-1035 labels) do not. */}}
{{- $full | replace "." "-" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The operator's objects: Deployment, Service, RBAC and its Lease.
*/}}
{{- define "ringcache.operatorName" -}}
{{- printf "%s-operator" (include "ringcache.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The operator's metrics Service: the operator name cut to 55 characters first, so that with
"-metrics" it stays within the 63 a Service name may have.
*/}}
{{- define "ringcache.metricsServiceName" -}}
{{- printf "%s-metrics" (include "ringcache.operatorName" . | trunc 55 | trimSuffix "-") }}
{{- end }}

{{/*
Where the optional CacheCluster (and its helm test pod) goes: the namespace the operator watches
when operator.watchNamespace names one (elsewhere it would never be reconciled), else the
release namespace.
*/}}
{{- define "ringcache.cacheClusterNamespace" -}}
{{- .Values.operator.watchNamespace | default .Release.Namespace }}
{{- end }}

{{/*
Create chart name and version as used by the chart label.
*/}}
{{- define "ringcache.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Common labels
*/}}
{{- define "ringcache.labels" -}}
helm.sh/chart: {{ include "ringcache.chart" . }}
{{ include "ringcache.selectorLabels" . }}
{{- if .Chart.AppVersion }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: ringcache
{{- end }}

{{/*
Selector labels
*/}}
{{- define "ringcache.selectorLabels" -}}
app.kubernetes.io/name: {{ include "ringcache.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
Labels and selector of the operator's pods. The component keeps the selector apart from the cache
node pods the operator creates, which carry name ringcache and instance <cluster>: a cluster named
like the release would otherwise match.
*/}}
{{- define "ringcache.operatorLabels" -}}
{{ include "ringcache.labels" . }}
app.kubernetes.io/component: operator
{{- end }}

{{- define "ringcache.operatorSelectorLabels" -}}
{{ include "ringcache.selectorLabels" . }}
app.kubernetes.io/component: operator
{{- end }}

{{/*
Create the name of the service account to use
*/}}
{{- define "ringcache.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "ringcache.operatorName" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
The image of the operator, of the optional CacheCluster and of the test pod: one image for all.
*/}}
{{- define "ringcache.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}

{{/*
The Lease the operator replicas elect their leader with, in the release namespace.
*/}}
{{- define "ringcache.leaseName" -}}
{{- default (include "ringcache.operatorName" .) .Values.operator.leaderElection.leaseName }}
{{- end }}

{{/*
The Secret holding the optional CacheCluster's client token: the user's, or the one the operator
generates (<cluster>-auth, key token).
*/}}
{{- define "ringcache.cacheClusterTokenSecret" -}}
{{- $auth := .Values.cacheCluster.spec.auth | default dict }}
{{- default (printf "%s-auth" .Values.cacheCluster.name) $auth.secretName }}
{{- end }}

{{/*
NOTES.txt: how to reach a cluster and get its token. Takes a dict: name, ns, secret.
*/}}
{{- define "ringcache.notesUsage" }}

Scale it:  kubectl -n {{ .ns }} scale cachecluster {{ .name }} --replicas=5

In-cluster clients reach it through its Service: http://{{ .name }}.{{ .ns }}.svc:8080
(any node answers for any key; the pods are {{ .name }}-<i>.{{ .name }}-nodes.{{ .ns }}.svc:8080).
The client token is key `token` of Secret {{ .secret }}:

  TOKEN=$(kubectl -n {{ .ns }} get secret {{ .secret }} -o jsonpath='{.data.token}' | base64 -d)
  kubectl -n {{ .ns }} port-forward svc/{{ .name }} 8080:8080 &
  curl -X PUT -H "Authorization: Bearer $TOKEN" --data-binary hello http://127.0.0.1:8080/v1/keys/greeting
  curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8080/v1/keys/greeting
{{- end }}

{{/*
One operator per CacheCluster: two releases whose operators watch overlapping namespaces would
each hold their own Lease, both lead, and fight over the same StatefulSets and rings. Refuses to
install a release whose watch overlaps another release's operator (every namespace overlaps
everything). `lookup` reads the live cluster, so this only acts on install and upgrade, not on
`helm template`.
*/}}
{{- define "ringcache.singleOperatorGuard" -}}
{{- $mine := .Values.operator.watchNamespace | default "" -}}
{{- range (lookup "apps/v1" "Deployment" "" "").items }}
{{- $labels := dig "metadata" "labels" dict . -}}
{{- if and (eq (get $labels "app.kubernetes.io/part-of") "ringcache") (eq (get $labels "app.kubernetes.io/component") "operator") -}}
{{- $instance := get $labels "app.kubernetes.io/instance" -}}
{{- if not (and (eq .metadata.namespace $.Release.Namespace) (eq $instance $.Release.Name)) -}}
{{- $theirs := dig "metadata" "annotations" "ringcache.io/watch-namespace" "" . -}}
{{- if or (eq $mine "") (eq $theirs "") (eq $mine $theirs) -}}
{{- fail (printf "the ringcache operator of release %q in namespace %q already watches %s; a second operator watching %s would lead beside it. Give each release its own operator.watchNamespace, or upgrade that release instead" $instance .metadata.namespace (ternary "every namespace" (printf "namespace %q" $theirs) (eq $theirs "")) (ternary "every namespace" (printf "namespace %q" $mine) (eq $mine ""))) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
