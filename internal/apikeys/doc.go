// Package apikeys manages the API keys of the local gateway: create (the
// plaintext is shown once), list, revoke, and check. Keys are stored in the
// record store by their SHA-256 only, so a copy of the data directory does
// not reveal a usable key. A plain SHA-256 is enough (no slow password
// hash) because a key is 32 random bytes, not a guessable password.
//
// On AWS, API Gateway's own API keys and usage plans play this part; this
// package backs `steward keys` and `steward serve`.
//
// Records: partition "APIKEY"; sort key "KEY#<sha256 hex>" holds the Key,
// "NAME#<name>" reserves a name while its key is live.
package apikeys
