//go:build tools

// Package tools keeps the CAPA requirement in go.mod so its pinned source (and CRDs) can be located.
package tools

import _ "sigs.k8s.io/cluster-api-provider-aws/v2/api/v1beta2"
