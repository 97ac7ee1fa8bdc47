package tree

import "runtime"

func numWorkers() int { return runtime.GOMAXPROCS(0) }
