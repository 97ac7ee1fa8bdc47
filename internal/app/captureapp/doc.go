// Package captureapp wires functions/capture: the artifact store and the
// handler of package capturefn, nothing else, so that the bootstrap links
// only the S3 client and starts fast. The function's role may put under
// captures/ and do nothing more, so the wiring reads no project
// configuration and opens no record store.
package captureapp
