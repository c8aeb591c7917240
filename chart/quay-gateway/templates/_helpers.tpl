{{/* The chart's name, truncated to Kubernetes' 63-character limit. */}}
{{- define "quay-gateway.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The release's full name: the release name, plus the chart's name unless the release name contains it. */}}
{{- define "quay-gateway.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "quay-gateway.selectorLabels" -}}
app.kubernetes.io/name: {{ include "quay-gateway.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "quay-gateway.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "quay-gateway.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "quay-gateway.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "quay-gateway.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "quay-gateway.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* The Secret with the connection string: the given one, or the chart's own (templates/database-secret.yaml). */}}
{{- define "quay-gateway.databaseSecretName" -}}
{{- if .Values.database.existingSecret -}}
{{- .Values.database.existingSecret -}}
{{- else if .Values.database.connectionString -}}
{{- printf "%s-database" (include "quay-gateway.fullname" .) -}}
{{- else -}}
{{- fail "Set database.existingSecret (a Secret with the connection string) or database.connectionString." -}}
{{- end -}}
{{- end -}}

{{/* Environment shared by the gateway pods and the migration Job. */}}
{{- define "quay-gateway.databaseEnv" -}}
- name: ASPNETCORE_ENVIRONMENT
  value: {{ .Values.environment | quote }}
- name: ConnectionStrings__Gateway
  valueFrom:
    secretKeyRef:
      name: {{ include "quay-gateway.databaseSecretName" . }}
      key: {{ if .Values.database.existingSecret }}{{ .Values.database.existingSecretKey }}{{ else }}connection-string{{ end }}
{{- end -}}

{{/* The restricted container securityContext (Pod Security "restricted", OpenShift restricted-v2). */}}
{{- define "quay-gateway.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop:
    - ALL
seccompProfile:
  type: RuntimeDefault
{{- end -}}
