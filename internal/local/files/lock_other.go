//go:build !unix

package files

import "sync"

var processLock sync.RWMutex

// lockFile orders the goroutines of this process only: there is no flock.
func lockFile(_ string, exclusive bool) (func(), error) {
	if exclusive {
		processLock.Lock()
		return processLock.Unlock, nil
	}
	processLock.RLock()
	return processLock.RUnlock, nil
}
