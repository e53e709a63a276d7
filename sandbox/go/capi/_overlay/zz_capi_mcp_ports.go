// This file is added to sigs.k8s.io/cluster-api/test/infrastructure/inmemory/pkg/server at build time
// through `go build -overlay` (see sandbox/recipe.ts); upstream is otherwise built unchanged.

package server

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// capiMCPListenHost keeps the in-memory workload API servers on loopback instead of every interface.
const capiMCPListenHost = "127.0.0.1"

// capiMCPPortsFromEnv lets two sandboxes run side by side on one machine. Upstream hard-codes the debug
// port 19000 and the 20000-30000 workload range, so a second CAPD would fail to bind and exit.
// CAPI_MCP_INMEMORY_PORTS="debug,min,max" overrides them; unset keeps upstream's defaults.
func capiMCPPortsFromEnv() WorkloadClustersMuxOptions {
	options := WorkloadClustersMuxOptions{MinPort: DefaultMinPort, MaxPort: DefaultMaxPort, DebugPort: DefaultDebugPort}
	value := os.Getenv("CAPI_MCP_INMEMORY_PORTS")
	if value == "" {
		return options
	}
	parts := strings.Split(value, ",")
	if len(parts) != 3 {
		panic(fmt.Sprintf("CAPI_MCP_INMEMORY_PORTS must be \"debug,min,max\", got %q", value))
	}
	ports := make([]int32, 3)
	for i, part := range parts {
		port, err := strconv.ParseInt(strings.TrimSpace(part), 10, 32)
		if err != nil || port <= 0 || port > 65535 {
			panic(fmt.Sprintf("CAPI_MCP_INMEMORY_PORTS: %q is not a port", part))
		}
		ports[i] = int32(port)
	}
	if ports[1] > ports[2] {
		panic(fmt.Sprintf("CAPI_MCP_INMEMORY_PORTS: min %d is above max %d", ports[1], ports[2]))
	}
	options.DebugPort, options.MinPort, options.MaxPort = ports[0], ports[1], ports[2]
	return options
}
