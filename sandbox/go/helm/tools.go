//go:build tools

// Wrapper module: pins Helm, which the chart tests (test/integration/chart.test.ts) render and lint
// deploy/charts/capi-mcp with; built into the sandbox's binary cache like the sandbox's own binaries.
package tools

import _ "helm.sh/helm/v4/cmd/helm"
