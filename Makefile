# Steward: every target works from a fresh clone.
SHELL := /bin/bash
GO ?= go
VERSION ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo dev)
LDFLAGS := -s -w -X github.com/stewardml/steward/internal/buildinfo.version=$(VERSION)
FUNCTIONS := $(notdir $(wildcard functions/*))
DATA_DIR ?= .steward
ADDR ?= 127.0.0.1:8080

.PHONY: all build cli install functions test test-go test-infra deps lint run bench synth deploy destroy clean FORCE

all: build

## build: every functions/<name> to build/<name>/bootstrap (linux/arm64) plus the CLI
build: functions cli

functions: $(FUNCTIONS:%=build/%/bootstrap)

# One pattern rule builds every Lambda the same way. FORCE (not .PHONY, which
# would skip the pattern rule) rebuilds each time; Go's cache keeps it quick.
build/%/bootstrap: FORCE
	@mkdir -p $(dir $@)
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build -tags lambda.norpc -trimpath -ldflags="$(LDFLAGS)" -o $@ ./functions/$*

cli:
	@mkdir -p build
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags="$(LDFLAGS)" -o build/steward ./cmd/steward

## install: steward into $(go env GOPATH)/bin (or $GOBIN), to run it by name
install:
	CGO_ENABLED=0 $(GO) install -trimpath -ldflags="$(LDFLAGS)" ./cmd/steward
	@echo "installed $$(GOBIN=$${GOBIN:-$$($(GO) env GOPATH)/bin}; echo $$GOBIN)/steward"

## deps: the npm tools the tests use (emulators, validators, CDK CLI)
deps:
	@if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --loglevel=error; fi

## lint: formatting and vet
lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "not gofmt-formatted:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	cd infra && $(GO) vet ./...

## test: lint, unit, contract, emulator and end-to-end tests
test: deps lint test-go test-infra

test-go:
	$(GO) test -count=1 -timeout 20m ./...

test-infra:
	cd infra && $(GO) test -count=1 -timeout 10m ./...

## run: build, train on the bundled data when no champion exists, and serve
run: cli
	@if ! ./build/steward --data-dir $(DATA_DIR) models show heart >/dev/null 2>&1; then \
		./build/steward --data-dir $(DATA_DIR) train --model heart; fi
	./build/steward --data-dir $(DATA_DIR) serve --addr $(ADDR)

## bench: Go benchmarks side by side with the Python baseline in bench/python (its setup.sh installs the Debian packages)
bench: cli
	bash bench/run.sh

## synth: CloudFormation into cdk.out, no AWS credentials needed
synth: deps functions
	npx --no-install cdk synth --quiet

## deploy / destroy: need AWS credentials, a verified SES identity and `cdk bootstrap`
deploy: build deps
	npx --no-install cdk deploy --require-approval never

destroy: deps
	npx --no-install cdk destroy --force

clean:
	rm -rf build cdk.out

FORCE:
