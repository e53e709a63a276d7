//go:build tools

// Package tools pins CAPA's manager (the module's root main package), which the AWS profile builds.
package tools

import _ "sigs.k8s.io/cluster-api-provider-aws/v2"
