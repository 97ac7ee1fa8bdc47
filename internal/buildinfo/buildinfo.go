// Package buildinfo reports the code version of this build, recorded in
// every run, model version and audit event.
package buildinfo

import "runtime/debug"

// version is set at link time with -ldflags "-X .../buildinfo.version=...".
var version string

// Version returns the code version: the link-time version when set, else the
// VCS revision recorded by the Go toolchain, else "dev".
func Version() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				return s.Value[:12]
			}
		}
		if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			return bi.Main.Version
		}
	}
	return "dev"
}
