{{/* The release's name for its objects: the release name, with -capi-mcp unless it already says so. */}}
{{- define "capi-mcp.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* The labels that select the pod: the Deployment's selector, the Service's and the NetworkPolicy's. */}}
{{- define "capi-mcp.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name | quote }}
app.kubernetes.io/instance: {{ .Release.Name | quote }}
{{- end -}}

{{- define "capi-mcp.labels" -}}
{{ include "capi-mcp.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | quote }}
{{- end -}}

{{- define "capi-mcp.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "capi-mcp.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "capi-mcp.apiKeysSecret" -}}
{{- if .Values.apiKeys.create -}}
{{- printf "%s-api-keys" (include "capi-mcp.fullname" .) -}}
{{- else -}}
{{- required "apiKeys.existingSecret is required (or apiKeys.create with apiKeys.document)" .Values.apiKeys.existingSecret -}}
{{- end -}}
{{- end -}}

{{- define "capi-mcp.executionsClaim" -}}
{{- default (printf "%s-executions" (include "capi-mcp.fullname" .)) .Values.executions.existingClaim -}}
{{- end -}}

{{- define "capi-mcp.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/* The host names the endpoint answers to: allowedHosts and the Ingress host. */}}
{{- define "capi-mcp.allowedHosts" -}}
{{- $hosts := .Values.allowedHosts -}}
{{- if and .Values.ingress.enabled .Values.ingress.host -}}
{{- $hosts = append $hosts .Values.ingress.host | uniq -}}
{{- end -}}
{{- join "," $hosts -}}
{{- end -}}
