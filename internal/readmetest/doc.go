// Package readmetest walks the README as a newcomer would: it copies the
// repository (tracked and untracked, ignored files left out) into a fresh
// temporary folder, then runs every ```sh block of README.md in order
// there, and fails on any exit the README does not show as expected.
//
// The README marks what a plain reader would do by hand with HTML
// comments just before a block, which GitHub does not render:
//
//	<!-- tour: skip -->                                  not run (make test, AWS)
//	<!-- tour: background ready=http://127.0.0.1:8080/health -->
//	                                                       started in the background
//	                                                       (another terminal), then
//	                                                       the URL is polled until it
//	                                                       answers 200
//
// A command whose trailing comment says "exit N" or "exits N" must exit
// with N; every other command must exit 0. Each block runs in its own
// bash with errexit and pipefail, in the copy's root, with a bin folder
// of the copy (where `make install` puts steward) first on PATH.
package readmetest
