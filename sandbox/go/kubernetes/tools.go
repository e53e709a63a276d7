//go:build tools

// Package tools pins the Kubernetes main packages that the sandbox builds.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
)
