// Package workflows checks the GitHub Actions workflows Steward ships for
// users' repositories (.github/workflows: ci.yml lints, tests and
// synthesizes; deploy.yml deploys with OIDC after a manual approval) with
// actionlint, so that a broken workflow fails `make test` here instead of
// a user's first push.
package workflows
